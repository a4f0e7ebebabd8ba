package dev.graft.image;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Pixels to the model's input tensor: resize by the model's method, pick the channels in the model's order, scale to
 * [0, 1] and normalise, written as CHW floats into a caller's array.
 *
 * <p>This is the validation transform of Graft's trainer (itself fastai's), computed the same way so that a model sees
 * at deployment exactly the numbers it was validated on: the crop window is the largest centred rectangle of the output's
 * aspect ratio; a source more than twice the output size is first averaged down by an integer factor (so bilinear
 * sampling does not alias); then each output pixel samples the window bilinearly at pixel centres. Normalisation goes
 * through a per-channel table of the 256 possible values, applied before interpolation. {@link ResizeMethod#SQUISH}
 * samples the whole image; {@link ResizeMethod#PAD} samples a window larger than the image and reflects at its edges,
 * as fastai's reflection padding does.
 *
 * <p>Channel letters: {@code R}, {@code G}, {@code B}, {@code A} (255 for opaque images) and {@code L} (PIL's luma,
 * {@code (19595 R + 38470 G + 7471 B + 32768) >> 16}).
 *
 * <p>Immutable and thread-safe; the per-call buffers live in a {@link Scratch}, one per thread.
 */
public final class Preprocessor {
    private final int height;
    private final int width;
    private final ResizeMethod resize;
    private final String channels;
    /** Per output channel: the byte of the packed pixel it reads (16, 8, 0, 24), or -1 for luma. */
    private final int[] shifts;
    /** Per output channel, 256 normalised values. */
    private final float[][] luts;

    /**
     * @param channels one letter per model input channel, in order (e.g. {@code RGB})
     * @param mean per-channel mean of [0, 1] pixel values
     * @param std per-channel standard deviation
     * @throws ImageException if a size is not positive, a channel letter is unknown, or the statistics do not match
     */
    public Preprocessor(int height, int width, ResizeMethod resize, String channels, float[] mean, float[] std) {
        if (height <= 0 || width <= 0) {
            throw new ImageException("the input size must be positive, not " + height + "x" + width);
        }
        this.height = height;
        this.width = width;
        this.resize = Objects.requireNonNull(resize, "resize");
        this.channels = channels.toUpperCase(Locale.ROOT);
        int c = this.channels.length();
        if (mean.length != c || std.length != c) {
            throw new ImageException("normalisation has " + mean.length + " mean(s) and " + std.length
                    + " std(s) for " + c + " channel(s)");
        }
        this.shifts = new int[c];
        this.luts = new float[c][256];
        for (int i = 0; i < c; i++) {
            char letter = this.channels.charAt(i);
            shifts[i] = switch (letter) {
                case 'R' -> 16;
                case 'G' -> 8;
                case 'B' -> 0;
                case 'A' -> 24;
                case 'L' -> -1;
                default -> throw new ImageException("input channel '" + letter + "' cannot be made from an image;"
                        + " this runtime fills R, G, B, A and L (pass a tensor instead)");
            };
            if (!(std[i] > 0) || !Float.isFinite(std[i]) || !Float.isFinite(mean[i])) {
                throw new ImageException("bad normalisation for channel " + letter + ": mean " + mean[i] + ", std " + std[i]);
            }
            for (int v = 0; v < 256; v++) {
                luts[i][v] = (float) ((v / 255.0 - mean[i]) / std[i]);
            }
        }
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int channelCount() {
        return shifts.length;
    }

    /** Floats one image takes: channels x height x width. */
    public int floatsPerImage() {
        return shifts.length * height * width;
    }

    /** A fresh set of reusable buffers for one thread. */
    public Scratch newScratch() {
        return new Scratch();
    }

    /** Buffers one thread reuses across calls: the reduced image and the column tables. */
    public static final class Scratch {
        final PixelBuffer reduced = new PixelBuffer();
        int[] x0 = new int[0];
        int[] x1 = new int[0];
        float[] fx = new float[0];
        int[] row = new int[0];

        /** Releases the reduced-image buffer if it is over {@code maxPixels} (see {@link PixelBuffer#trim}). */
        public void trim(int maxPixels) {
            reduced.trim(maxPixels);
        }

        void ensureColumns(int n) {
            if (x0.length < n) {
                x0 = new int[n];
                x1 = new int[n];
                fx = new float[n];
            }
        }
    }

    /**
     * Writes the model input for {@code src} as CHW at {@code dst[offset ..]}.
     *
     * @throws IllegalArgumentException if {@code dst} is too short
     */
    public void apply(PixelBuffer src, Scratch scratch, float[] dst, int offset) {
        if (offset < 0 || dst.length - offset < floatsPerImage()) {
            throw new IllegalArgumentException("destination too short: " + (dst.length - offset) + " floats for "
                    + floatsPerImage());
        }
        int w = src.width();
        int h = src.height();
        double[] win = window(w, h);
        double cx = win[0];
        double cy = win[1];
        double cw = win[2];
        double ch = win[3];
        PixelBuffer img = src;
        double step = Math.min(cw / width, ch / height);
        if (step >= 2) {
            int k = (int) step;
            boxReduce(src, k, scratch.reduced, scratch);
            img = scratch.reduced;
            cx /= k;
            cy /= k;
            cw /= k;
            ch /= k;
        }
        render(img, cx, cy, cw / width, ch / height, scratch, dst, offset);
    }

    /** {x, y, w, h} of the source window in source pixels. */
    double[] window(int w, int h) {
        double aspect = (double) width / height;
        double cw = w;
        double ch = h;
        switch (resize) {
            case SQUISH -> {
                return new double[] {0, 0, w, h};
            }
            case CROP -> {
                if ((double) w / h > aspect) {
                    cw = h * aspect;
                } else {
                    ch = w / aspect;
                }
            }
            case PAD -> {
                if ((double) w / h > aspect) {
                    ch = w / aspect;
                } else {
                    cw = h * aspect;
                }
            }
            default -> throw new IllegalStateException(resize.toString());
        }
        return new double[] {(w - cw) / 2, (h - ch) / 2, cw, ch};
    }

    private void render(PixelBuffer img, double cx, double cy, double scaleX, double scaleY, Scratch s, float[] dst,
            int offset) {
        final int sw = img.width();
        final int sh = img.height();
        final int[] px = img.data();
        final boolean reflect = resize == ResizeMethod.PAD;
        final int oh = height;
        final int ow = width;
        s.ensureColumns(ow);
        final int[] xs0 = s.x0;
        final int[] xs1 = s.x1;
        final float[] fxs = s.fx;
        for (int j = 0; j < ow; j++) {
            double sx = cx + (j + 0.5) * scaleX - 0.5;
            if (reflect) {
                sx = reflect(sx, sw);
            }
            int x0 = (int) Math.floor(sx);
            fxs[j] = (float) (sx - x0);
            int x1 = x0 + 1;
            xs0[j] = x0 < 0 ? 0 : (x0 >= sw ? sw - 1 : x0);
            xs1[j] = x1 < 0 ? 0 : (x1 >= sw ? sw - 1 : x1);
        }
        final int plane = oh * ow;
        final int channelsCount = shifts.length;
        for (int i = 0; i < oh; i++) {
            double sy = cy + (i + 0.5) * scaleY - 0.5;
            if (reflect) {
                sy = reflect(sy, sh);
            }
            int y0 = (int) Math.floor(sy);
            float fy = (float) (sy - y0);
            int y1 = y0 + 1;
            y0 = y0 < 0 ? 0 : (y0 >= sh ? sh - 1 : y0);
            y1 = y1 < 0 ? 0 : (y1 >= sh ? sh - 1 : y1);
            final int r0 = y0 * sw;
            final int r1 = y1 * sw;
            final int row = offset + i * ow;
            for (int j = 0; j < ow; j++) {
                float fx = fxs[j];
                int p00 = px[r0 + xs0[j]];
                int p01 = px[r0 + xs1[j]];
                int p10 = px[r1 + xs0[j]];
                int p11 = px[r1 + xs1[j]];
                float w00 = (1 - fx) * (1 - fy);
                float w01 = fx * (1 - fy);
                float w10 = (1 - fx) * fy;
                float w11 = fx * fy;
                int o = row + j;
                for (int c = 0; c < channelsCount; c++, o += plane) {
                    float[] lut = luts[c];
                    int shift = shifts[c];
                    if (shift >= 0) {
                        dst[o] = w00 * lut[(p00 >>> shift) & 0xFF] + w01 * lut[(p01 >>> shift) & 0xFF]
                                + w10 * lut[(p10 >>> shift) & 0xFF] + w11 * lut[(p11 >>> shift) & 0xFF];
                    } else {
                        dst[o] = w00 * lut[luma(p00)] + w01 * lut[luma(p01)] + w10 * lut[luma(p10)]
                                + w11 * lut[luma(p11)];
                    }
                }
            }
        }
    }

    private static int luma(int p) {
        return (((p >> 16) & 0xFF) * 19595 + ((p >> 8) & 0xFF) * 38470 + (p & 0xFF) * 7471 + 0x8000) >> 16;
    }

    /** Mirrors a pixel-centre coordinate into [0, n - 1] without repeating the edge pixel (torch's "reflect"). */
    static double reflect(double v, int n) {
        if (n == 1) {
            return 0;
        }
        double last = n - 1;
        double period = 2 * last;
        double t = v % period;
        if (t < 0) {
            t += period;
        }
        return t > last ? period - t : t;
    }

    /**
     * Averages k x k blocks of {@code src} into {@code out}, each of the four bytes separately, with rounding; partial
     * blocks at the right and bottom edges average what they have. Public because the trainer's augmentations reduce
     * a large source the same way before they sample it.
     */
    public static void boxReduce(PixelBuffer src, int k, PixelBuffer out) {
        boxReduce(src, k, out, new Scratch());
    }

    /** {@link #boxReduce(PixelBuffer, int, PixelBuffer)} with the row sums in a reused buffer. */
    static void boxReduce(PixelBuffer src, int k, PixelBuffer out, Scratch s) {
        int w = src.width();
        int h = src.height();
        int rw = (w + k - 1) / k;
        int rh = (h + k - 1) / k;
        int[] in = src.data();
        int[] dst = out.reset(rw, rh);
        if (s.row.length < 4 * rw) {
            s.row = new int[4 * rw];
        }
        int[] sums = s.row;
        for (int ry = 0; ry < rh; ry++) {
            Arrays.fill(sums, 0, 4 * rw, 0);
            int y0 = ry * k;
            int y1 = Math.min(h, y0 + k);
            for (int y = y0; y < y1; y++) {
                int p = y * w;
                for (int bx = 0, x = 0; bx < rw; bx++) {
                    int xe = Math.min(w, x + k);
                    int a = 0;
                    int r = 0;
                    int g = 0;
                    int b = 0;
                    for (; x < xe; x++) {
                        int v = in[p + x];
                        a += v >>> 24;
                        r += (v >> 16) & 0xFF;
                        g += (v >> 8) & 0xFF;
                        b += v & 0xFF;
                    }
                    int q = 4 * bx;
                    sums[q] += a;
                    sums[q + 1] += r;
                    sums[q + 2] += g;
                    sums[q + 3] += b;
                }
            }
            int rows = y1 - y0;
            for (int bx = 0; bx < rw; bx++) {
                int n = rows * (Math.min(w, (bx + 1) * k) - bx * k);
                int half = n / 2;
                int q = 4 * bx;
                dst[ry * rw + bx] = ((sums[q] + half) / n) << 24 | ((sums[q + 1] + half) / n) << 16
                        | ((sums[q + 2] + half) / n) << 8 | ((sums[q + 3] + half) / n);
            }
        }
    }

    @Override
    public String toString() {
        return "Preprocessor[" + height + "x" + width + ", " + resize.metadataValue() + ", " + channels + "]";
    }
}
