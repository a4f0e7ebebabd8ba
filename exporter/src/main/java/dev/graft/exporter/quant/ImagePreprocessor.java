package dev.graft.exporter.quant;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.GraftMetadata;
import dev.graft.exporter.ResizeMethod;
import dev.graft.files.FileRefusedException;
import dev.graft.files.InputFiles;
import dev.graft.models.GraftException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An image file to the model's input tensor, as the exported metadata prescribes: the same steps a runtime applies
 * before inference, so that calibration measures the activations deployment will produce.
 *
 * <ol>
 *   <li>Decode with ImageIO (JPEG, PNG, BMP, GIF); alpha is dropped unless the model reads an {@code A} channel.</li>
 *   <li>Resize to the training size by {@link ResizeMethod}: {@code crop} takes the largest centred window with the
 *       output's aspect ratio (the short side resized, the rest cut, as fastai validates), {@code squish} takes the
 *       whole image, {@code pad} fits the whole image inside and fills the rest by reflection (fastai's default
 *       {@code PadMode.Reflection}). Sampling is bilinear at pixel centres after averaging the source down by an
 *       integer factor when it is at least twice the output size, the trainer's validation transform.</li>
 *   <li>Scale to [0, 1], subtract the mean and divide by the standard deviation per channel, channels in the
 *       metadata's order ({@code R}, {@code G}, {@code B}, {@code A}, or {@code L} for luma).</li>
 * </ol>
 *
 * <p>It is deliberately small: the exporter must not depend on the trainer (which brings the training engine) nor on
 * the runtime; the runtime's preprocessing is the reference and this class follows it.
 *
 * <p>Immutable and thread-safe.
 */
public final class ImagePreprocessor {
    private final int height;
    private final int width;
    private final ResizeMethod resize;
    private final float[] mean;
    private final float[] std;
    private final String channels;
    private long maxImageBytes = InputFiles.DEFAULT_MAX_IMAGE_BYTES;

    private ImagePreprocessor(int height, int width, ResizeMethod resize, List<Double> mean, List<Double> std,
                              String channels) {
        if (height <= 0 || width <= 0) {
            throw new GraftException("the input size must be positive, not " + height + "x" + width);
        }
        this.height = height;
        this.width = width;
        this.resize = resize;
        this.channels = channels.toUpperCase(Locale.ROOT);
        if (mean.size() != this.channels.length() || std.size() != this.channels.length()) {
            throw new GraftException("the normalisation needs one mean and one std per channel of '" + channels + "'");
        }
        this.mean = new float[mean.size()];
        this.std = new float[std.size()];
        for (int c = 0; c < mean.size(); c++) {
            this.mean[c] = mean.get(c).floatValue();
            this.std[c] = std.get(c).floatValue();
        }
        for (char ch : this.channels.toCharArray()) {
            if ("RGBAL".indexOf(ch) < 0) {
                throw new GraftException("images cannot be fed to a model whose input channel '" + ch + "' (of '"
                        + channels + "') is not R, G, B, A or L");
            }
        }
    }

    /** The preprocessing an export with these options writes into its metadata. */
    public static ImagePreprocessor of(ExportOptions options) {
        return new ImagePreprocessor(options.inputHeight(), options.inputWidth(), options.resize(), options.mean(),
                options.std(), options.channels()).withMaxImageBytes(options.maxImageBytes());
    }

    /**
     * The same preprocessing, reading image files of at most {@code bytes} (default 64 MiB); a larger file, or one
     * that is not a regular file ({@code /dev/zero}, a FIFO), is refused before it is read.
     */
    public ImagePreprocessor withMaxImageBytes(long bytes) {
        if (bytes < 1 || bytes > InputFiles.MAX_CAP) {
            throw new GraftException("the image byte limit must be from 1 to " + InputFiles.MAX_CAP + ", not " + bytes);
        }
        ImagePreprocessor p = new ImagePreprocessor(height, width, resize, doubles(mean), doubles(std), channels);
        p.maxImageBytes = bytes;
        return p;
    }

    /** The largest image file read, in bytes. */
    public long maxImageBytes() {
        return maxImageBytes;
    }

    private static List<Double> doubles(float[] values) {
        List<Double> out = new java.util.ArrayList<>(values.length);
        for (float v : values) {
            out.add((double) v);
        }
        return out;
    }

    /** Explicit settings, as a runtime reads them from the metadata. */
    public static ImagePreprocessor of(int height, int width, ResizeMethod resize, List<Double> mean, List<Double> std,
                                       String channels) {
        return new ImagePreprocessor(height, width, resize, mean, std, channels);
    }

    /**
     * The preprocessing a Graft model's metadata prescribes ({@code graft.input.*}), as a runtime reads it.
     *
     * @throws GraftException if a key is missing or malformed
     */
    public static ImagePreprocessor fromMetadata(Map<String, String> metadata) {
        try {
            String[] size = require(metadata, GraftMetadata.INPUT_SIZE).split(",");
            return new ImagePreprocessor(Integer.parseInt(size[0].trim()), Integer.parseInt(size[1].trim()),
                    ResizeMethod.valueOf(require(metadata, GraftMetadata.INPUT_RESIZE).toUpperCase(Locale.ROOT)),
                    numbers(require(metadata, GraftMetadata.INPUT_MEAN)), numbers(require(metadata, GraftMetadata.INPUT_STD)),
                    require(metadata, GraftMetadata.INPUT_CHANNELS));
        } catch (RuntimeException e) {
            if (e instanceof GraftException g) {
                throw g;
            }
            throw new GraftException("the model's preprocessing metadata is malformed: " + e.getMessage(), e);
        }
    }

    private static String require(Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        if (v == null) {
            throw new GraftException("the model has no " + key + " metadata; it is not a Graft export");
        }
        return v;
    }

    private static List<Double> numbers(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).map(Double::valueOf).toList();
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int channels() {
        return channels.length();
    }

    /** Floats per preprocessed image: channels x height x width. */
    public int floatsPerImage() {
        return channels.length() * height * width;
    }

    /** {@link #size(Path, long)} under the default limit of 64 MiB. */
    public static int[] size(Path file) {
        return size(file, InputFiles.DEFAULT_MAX_IMAGE_BYTES);
    }

    /**
     * The width and height stored in an image file's header, read without decoding the pixels, from a regular file
     * of at most {@code maxImageBytes}.
     *
     * @throws GraftException if the file cannot be read, is over the limit or is not an image ImageIO knows
     */
    public static int[] size(Path file, long maxImageBytes) {
        try {
            InputFiles.checkRegular(file, maxImageBytes, null);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new GraftException("cannot read image " + file);
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new GraftException("image " + file + " is not a JPEG, PNG, BMP or GIF");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof GraftException g) {
                throw g;
            }
            throw new GraftException("cannot read image " + file + ": " + oneLine(e), e);
        }
    }

    /** Reads and preprocesses one image into a new CHW array. */
    public float[] read(Path file) {
        float[] out = new float[floatsPerImage()];
        read(file, out, 0);
        return out;
    }

    /**
     * Reads and preprocesses one image, written as CHW at {@code dst[offset ..]}.
     *
     * @throws GraftException if the file cannot be read or decoded
     */
    public void read(Path file, float[] dst, int offset) {
        byte[] bytes;
        try {
            bytes = InputFiles.readAllBytes(file, maxImageBytes, null);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            if (e instanceof GraftException g) {
                throw g;
            }
            throw new GraftException("cannot decode image " + file + ": " + oneLine(e), e);
        }
        if (img == null) {
            throw new GraftException("image " + file + " is not a JPEG, PNG, BMP or GIF");
        }
        preprocess(img, dst, offset);
    }

    /** Preprocesses a decoded image, written as CHW at {@code dst[offset ..]}. */
    public void preprocess(BufferedImage img, float[] dst, int offset) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] argb = pixels(img);
        double[] window = window(w, h);
        double step = Math.min(window[2] / width, window[3] / height);
        if (step >= 2) {
            int k = (int) step;
            int rw = (w + k - 1) / k;
            int rh = (h + k - 1) / k;
            argb = boxReduce(argb, w, h, k, rw, rh);
            for (int i = 0; i < 4; i++) {
                window[i] /= k;
            }
            w = rw;
            h = rh;
        }
        float[][] lut = lookupTables();
        int plane = height * width;
        double sx = window[2] / width;
        double sy = window[3] / height;
        for (int i = 0; i < height; i++) {
            double y = window[1] + (i + 0.5) * sy - 0.5;
            int y0 = (int) Math.floor(y);
            float fy = (float) (y - y0);
            int r0 = row(y0, h);
            int r1 = row(y0 + 1, h);
            for (int j = 0; j < width; j++) {
                double x = window[0] + (j + 0.5) * sx - 0.5;
                int x0 = (int) Math.floor(x);
                float fx = (float) (x - x0);
                int c0 = row(x0, w);
                int c1 = row(x0 + 1, w);
                int p00 = argb[r0 * w + c0];
                int p01 = argb[r0 * w + c1];
                int p10 = argb[r1 * w + c0];
                int p11 = argb[r1 * w + c1];
                float w00 = (1 - fx) * (1 - fy);
                float w01 = fx * (1 - fy);
                float w10 = (1 - fx) * fy;
                float w11 = fx * fy;
                int o = offset + i * width + j;
                for (int c = 0; c < lut.length; c++, o += plane) {
                    char kind = channels.charAt(c);
                    float[] t = lut[c];
                    dst[o] = w00 * t[sample(p00, kind)] + w01 * t[sample(p01, kind)]
                            + w10 * t[sample(p10, kind)] + w11 * t[sample(p11, kind)];
                }
            }
        }
    }

    /**
     * ARGB pixels. 8-bit grey is read from its samples: Java2D's {@code getRGB} treats a grey image as linear and
     * brightens it, while the file's values are already gamma-encoded (the trainer's decoder does the same).
     */
    private static int[] pixels(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            int[] grey = img.getRaster().getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < grey.length; i++) {
                int v = grey[i] & 0xFF;
                grey[i] = 0xFF000000 | v << 16 | v << 8 | v;
            }
            return grey;
        }
        return img.getRGB(0, 0, w, h, null, 0, w);
    }

    /** {x, y, w, h} of the source region that becomes the output, in source pixels. */
    private double[] window(int w, int h) {
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
            default -> throw new AssertionError(resize);
        }
        return new double[] {(w - cw) / 2, (h - ch) / 2, cw, ch};
    }

    /**
     * A source row or column index for a sample position: clamped for crop and squish (only interpolation
     * neighbours fall outside), mirrored for pad (whole bands of the output fall outside the image).
     */
    private int row(int i, int size) {
        if (i >= 0 && i < size) {
            return i;
        }
        if (resize != ResizeMethod.PAD || size == 1) {
            return i < 0 ? 0 : size - 1;
        }
        int period = 2 * size;
        int m = Math.floorMod(i, period);
        return m < size ? m : period - 1 - m;
    }

    private static int sample(int argb, char kind) {
        return switch (kind) {
            case 'R' -> (argb >> 16) & 0xFF;
            case 'G' -> (argb >> 8) & 0xFF;
            case 'B' -> argb & 0xFF;
            case 'A' -> (argb >>> 24) & 0xFF;
            default -> (int) Math.round(((argb >> 16) & 0xFF) * 0.299 + ((argb >> 8) & 0xFF) * 0.587
                    + (argb & 0xFF) * 0.114); // 'L', as PIL's convert("L")
        };
    }

    /** Per channel: 8-bit value to normalised float. */
    private float[][] lookupTables() {
        float[][] lut = new float[channels.length()][256];
        for (int c = 0; c < lut.length; c++) {
            for (int v = 0; v < 256; v++) {
                lut[c][v] = (v / 255f - mean[c]) / std[c];
            }
        }
        return lut;
    }

    /** Averages k x k blocks, each of the four bytes separately (partial blocks at the edges average what they have). */
    private static int[] boxReduce(int[] src, int w, int h, int k, int rw, int rh) {
        int[] out = new int[rw * rh];
        for (int ry = 0; ry < rh; ry++) {
            for (int rx = 0; rx < rw; rx++) {
                long[] sum = new long[4];
                int n = 0;
                for (int y = ry * k; y < Math.min(h, ry * k + k); y++) {
                    for (int x = rx * k; x < Math.min(w, rx * k + k); x++) {
                        int v = src[y * w + x];
                        sum[0] += (v >>> 24) & 0xFF;
                        sum[1] += (v >> 16) & 0xFF;
                        sum[2] += (v >> 8) & 0xFF;
                        sum[3] += v & 0xFF;
                        n++;
                    }
                }
                int half = n / 2;
                out[ry * rw + rx] = (int) ((sum[0] + half) / n) << 24 | (int) ((sum[1] + half) / n) << 16
                        | (int) ((sum[2] + half) / n) << 8 | (int) ((sum[3] + half) / n);
            }
        }
        return out;
    }

    /** A refused file's message already names it; other failures get the path and the reason. */
    private static GraftException unreadable(Path file, IOException e) {
        return new GraftException(e instanceof FileRefusedException ? "image " + e.getMessage()
                : "cannot read image " + file + ": " + InputFiles.reason(e), e);
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ").trim();
    }
}
