package dev.graft.trainer.data;

import dev.graft.image.PixelBuffer;
import dev.graft.image.Preprocessor;
import dev.graft.image.ResizeMethod;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * fastai's default item and batch transforms, fused into a single resampling pass per image.
 *
 * <p><b>Training</b>: a random resized crop (area fraction in {@code [minScale, 1]}, aspect ratio in {@code [3/4, 4/3]}
 * relative to the output, ten tries then a centre crop, as fastai's {@code RandomResizedCrop}), then flip, rotation
 * and zoom (fastai's {@code aug_transforms} affine part, reflection padding), then brightness and contrast (in logit
 * space, as fastai). <b>Validation</b>: the largest centred crop with the output's aspect ratio, resized to the output,
 * which for a square output is "resize the short side, then centre crop": that is the image module's
 * {@link Preprocessor} with {@link ResizeMethod#CROP}, the very code the exported model's runtime and its int8
 * calibration run, so validation numbers are deployment numbers.
 *
 * <p>Crop, flip, rotation and zoom are composed into one inverse mapping from output pixels to source pixels and
 * sampled once, bilinearly, instead of resampling three times as fastai does. Before sampling, a source much larger
 * than the output is first averaged down by an integer factor so bilinear sampling does not alias. Lighting and
 * normalisation are applied to the source's 8-bit values through a per-image lookup table before interpolation.
 *
 * <p>Randomness comes only from the {@code seed} argument, so an augmentation is reproducible whatever thread runs
 * it. Instances are immutable and thread-safe.
 */
public final class ImageTransforms {
    private static final double LOG_RATIO_LO = Math.log(3.0 / 4.0);
    private static final double LOG_RATIO_HI = Math.log(4.0 / 3.0);
    private static final double EPS = 1e-7;

    private final AugmentConfig config;
    private final Normalization norm;
    private final float[] plainLut;
    private final Preprocessor validation;

    public ImageTransforms(AugmentConfig config, Normalization norm) {
        this.config = Objects.requireNonNull(config, "config");
        this.norm = Objects.requireNonNull(norm, "norm");
        this.plainLut = lut(0.5, 1.0);
        float[] mean = {norm.mean(0), norm.mean(1), norm.mean(2)};
        float[] std = {norm.std(0), norm.std(1), norm.std(2)};
        this.validation = new Preprocessor(config.height(), config.width(), ResizeMethod.CROP, "RGB", mean, std);
    }

    /** fastai's defaults with ImageNet normalisation at {@code size} x {@code size}. */
    public static ImageTransforms imagenet(int size) {
        return new ImageTransforms(AugmentConfig.defaults().withSize(size), Normalization.IMAGENET);
    }

    public AugmentConfig config() {
        return config;
    }

    public Normalization normalization() {
        return norm;
    }

    public int channels() {
        return 3;
    }

    public int height() {
        return config.height();
    }

    public int width() {
        return config.width();
    }

    /** Floats one transformed image takes: 3 * height * width. */
    public int floatsPerImage() {
        return 3 * config.height() * config.width();
    }

    /** The validation transform into a new CHW array. */
    public float[] valid(PixelBuffer img) {
        float[] out = new float[floatsPerImage()];
        valid(img, out, 0);
        return out;
    }

    /** The validation transform, written as CHW at {@code dst[offset ..]}: the deployed model's preprocessing. */
    public void valid(PixelBuffer img, float[] dst, int offset) {
        validation.apply(img, validation.newScratch(), dst, offset);
    }

    /**
     * The training renderer with every augmentation off on the validation crop; equal to {@link #valid} number for
     * number (a test holds the two together, so that the augmented path stays centred on what validation sees).
     */
    void unaugmented(PixelBuffer img, float[] dst, int offset) {
        render(img, centreCrop(img.width(), img.height()), false, 0, 1, 0.5, 0.5, plainLut, dst, offset);
    }

    /** The training transform into a new CHW array; the same seed gives the same result. */
    public float[] train(PixelBuffer img, long seed) {
        float[] out = new float[floatsPerImage()];
        train(img, seed, out, 0);
        return out;
    }

    /** The training transform, written as CHW at {@code dst[offset ..]}; the same seed gives the same result. */
    public void train(PixelBuffer img, long seed, float[] dst, int offset) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] crop = randomCrop(img.width(), img.height(), rnd);
        boolean flip = rnd.nextDouble() < config.flipP();
        double angle = 0;
        if (config.maxRotate() > 0 && rnd.nextDouble() < config.pAffine()) {
            angle = Math.toRadians(uniform(rnd, -config.maxRotate(), config.maxRotate()));
        }
        double zoom = 1;
        double zoomX = 0.5;
        double zoomY = 0.5;
        if (config.maxZoom() > 1 && rnd.nextDouble() < config.pAffine()) {
            zoom = uniform(rnd, 1, config.maxZoom());
            zoomX = rnd.nextDouble();
            zoomY = rnd.nextDouble();
        }
        double brightness = 0.5;
        double contrast = 1;
        double m = config.maxLighting();
        if (m > 0 && rnd.nextDouble() < config.pLighting()) {
            brightness = uniform(rnd, 0.5 * (1 - m), 0.5 * (1 + m));
        }
        if (m > 0 && rnd.nextDouble() < config.pLighting()) {
            contrast = Math.exp(uniform(rnd, Math.log(1 - m), -Math.log(1 - m)));
        }
        float[] lut = brightness == 0.5 && contrast == 1 ? plainLut : lut(brightness, contrast);
        render(img, crop, flip, angle, zoom, zoomX, zoomY, lut, dst, offset);
    }

    /** {x, y, w, h} of the validation crop in source pixels. */
    double[] centreCrop(int w, int h) {
        double aspect = (double) config.width() / config.height();
        double cw = w;
        double ch = h;
        if ((double) w / h > aspect) {
            cw = h * aspect;
        } else {
            ch = w / aspect;
        }
        return new double[] {(w - cw) / 2, (h - ch) / 2, cw, ch};
    }

    /** {x, y, w, h} of fastai's RandomResizedCrop in source pixels. */
    double[] randomCrop(int w, int h, SplittableRandom rnd) {
        double aspect = (double) config.width() / config.height();
        double area = (double) w * h;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = uniform(rnd, config.minScale(), 1) * area;
            double ratio = Math.exp(uniform(rnd, LOG_RATIO_LO, LOG_RATIO_HI)) * aspect;
            long cw = Math.round(Math.sqrt(target * ratio));
            long ch = Math.round(Math.sqrt(target / ratio));
            if (cw >= 1 && ch >= 1 && cw <= w && ch <= h) {
                int x = rnd.nextInt((int) (w - cw) + 1);
                int y = rnd.nextInt((int) (h - ch) + 1);
                return new double[] {x, y, cw, ch};
            }
        }
        double lo = aspect * 3 / 4;
        double hi = aspect * 4 / 3;
        double cw = w;
        double ch = h;
        if ((double) w / h < lo) {
            ch = Math.floor(w / lo);
        } else if ((double) w / h > hi) {
            cw = Math.floor(h * hi);
        }
        return new double[] {Math.floor((w - cw) / 2), Math.floor((h - ch) / 2), cw, ch};
    }

    private static double uniform(SplittableRandom rnd, double lo, double hi) {
        return lo == hi ? lo : lo + (hi - lo) * rnd.nextDouble();
    }

    /** 3 x 256 table: 8-bit value to lit, normalised float, per channel. */
    private float[] lut(double brightness, double contrast) {
        float[] lut = new float[3 * 256];
        boolean lit = brightness != 0.5 || contrast != 1;
        double shift = logit(brightness);
        for (int v = 0; v < 256; v++) {
            double x = v / 255.0;
            if (lit) {
                double l = (logit(x) + shift) * contrast;
                x = 1 / (1 + Math.exp(-l));
            }
            for (int c = 0; c < 3; c++) {
                lut[c * 256 + v] = (float) ((x - norm.mean(c)) / norm.std(c));
            }
        }
        return lut;
    }

    private static double logit(double x) {
        double c = Math.min(Math.max(x, EPS), 1 - EPS);
        return Math.log(c / (1 - c));
    }

    private void render(PixelBuffer img, double[] crop, boolean flip, double angle, double zoom, double zoomX,
            double zoomY, float[] lut, float[] dst, int offset) {
        final int oh = config.height();
        final int ow = config.width();
        double cx = crop[0];
        double cy = crop[1];
        double cw = crop[2];
        double ch = crop[3];
        double step = Math.min(cw / ow, ch / oh) / zoom;
        if (step >= 2) {
            int k = (int) step;
            PixelBuffer reduced = new PixelBuffer();
            Preprocessor.boxReduce(img, k, reduced);
            img = reduced;
            cx /= k;
            cy /= k;
            cw /= k;
            ch /= k;
        }
        final int sw = img.width();
        final int sh = img.height();
        final int[] px = img.data();
        final double scaleX = cw / ow;
        final double scaleY = ch / oh;
        final double halfW = ow / 2.0;
        final double halfH = oh / 2.0;

        // Output pixel p (centred, in output pixels) maps to f * Rot(angle) * (zoom^-1 * p + t), t keeping the zoomed
        // window inside the frame, as fastai's zoom_mat (col_pct, row_pct) does.
        double s = 1 / zoom;
        double tx = (1 - s) * (2 * zoomX - 1) * halfW;
        double ty = (1 - s) * (2 * zoomY - 1) * halfH;
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double f = flip ? -1 : 1;
        final double a11 = f * cos * s;
        final double a12 = -f * sin * s;
        final double b1 = f * (cos * tx - sin * ty);
        final double a21 = sin * s;
        final double a22 = cos * s;
        final double b2 = sin * tx + cos * ty;

        final int plane = oh * ow;
        for (int i = 0; i < oh; i++) {
            double y = i + 0.5 - halfH;
            int row = offset + i * ow;
            for (int j = 0; j < ow; j++) {
                double x = j + 0.5 - halfW;
                double u = reflect(a11 * x + a12 * y + b1, halfW);
                double v = reflect(a21 * x + a22 * y + b2, halfH);
                double sx = cx + (u + halfW) * scaleX - 0.5;
                double sy = cy + (v + halfH) * scaleY - 0.5;
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                float fx = (float) (sx - x0);
                float fy = (float) (sy - y0);
                int x1 = x0 + 1;
                int y1 = y0 + 1;
                x0 = x0 < 0 ? 0 : (x0 >= sw ? sw - 1 : x0);
                x1 = x1 < 0 ? 0 : (x1 >= sw ? sw - 1 : x1);
                y0 = y0 < 0 ? 0 : (y0 >= sh ? sh - 1 : y0);
                y1 = y1 < 0 ? 0 : (y1 >= sh ? sh - 1 : y1);
                int p00 = px[y0 * sw + x0];
                int p01 = px[y0 * sw + x1];
                int p10 = px[y1 * sw + x0];
                int p11 = px[y1 * sw + x1];
                float w00 = (1 - fx) * (1 - fy);
                float w01 = fx * (1 - fy);
                float w10 = (1 - fx) * fy;
                float w11 = fx * fy;
                int o = row + j;
                for (int c = 0, shift = 16, base = 0; c < 3; c++, shift -= 8, base += 256) {
                    dst[o] = w00 * lut[base + ((p00 >> shift) & 0xFF)] + w01 * lut[base + ((p01 >> shift) & 0xFF)]
                            + w10 * lut[base + ((p10 >> shift) & 0xFF)] + w11 * lut[base + ((p11 >> shift) & 0xFF)];
                    o += plane;
                }
            }
        }
    }

    /** Folds {@code u} back into {@code [-half, half]} by mirroring at the edges (fastai's reflection padding). */
    private static double reflect(double u, double half) {
        if (u >= -half && u <= half) {
            return u;
        }
        double size = 2 * half;
        double t = (u + half) % (2 * size);
        if (t < 0) {
            t += 2 * size;
        }
        if (t > size) {
            t = 2 * size - t;
        }
        return t - half;
    }
}
