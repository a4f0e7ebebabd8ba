package dev.graft.exporter.quant;

import dev.graft.files.FileRefusedException;
import dev.graft.files.InputFiles;
import dev.graft.image.BadImageException;
import dev.graft.image.ImageDecoder;
import dev.graft.image.ImageException;
import dev.graft.image.PixelBuffer;
import dev.graft.image.Preprocessing;
import dev.graft.image.Preprocessor;
import dev.graft.image.ResizeMethod;
import dev.graft.models.GraftException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An image file to the model's input tensor, as the exported metadata prescribes, for calibration and evaluation.
 *
 * <p>The decoding and preprocessing are the image module's ({@link ImageDecoder}, {@link Preprocessor}): the very
 * code runtime-edge runs before inference and the trainer runs for validation, so calibration measures the activations
 * deployment will produce, whatever the file (EXIF-rotated, CMYK, 16-bit, grey, palette). This class adds the
 * exporter's side: reading files under the byte cap and reporting every failure as one {@link GraftException} line
 * that names the file.
 *
 * <p>Immutable and thread-safe.
 */
public final class ImagePreprocessor {
    private final Preprocessing settings;
    private final Preprocessor preprocessor;
    private final long maxImageBytes;

    private ImagePreprocessor(Preprocessing settings, long maxImageBytes) {
        this.settings = settings;
        this.preprocessor = settings.preprocessor();
        this.maxImageBytes = maxImageBytes;
    }

    /**
     * The preprocessing {@code settings} describe, reading image files of at most {@code maxImageBytes}.
     *
     * @throws GraftException if the byte limit is out of range
     */
    public static ImagePreprocessor of(Preprocessing settings, long maxImageBytes) {
        if (maxImageBytes < 1 || maxImageBytes > InputFiles.MAX_CAP) {
            throw new GraftException("the image byte limit must be from 1 to " + InputFiles.MAX_CAP + ", not "
                    + maxImageBytes);
        }
        return new ImagePreprocessor(settings, maxImageBytes);
    }

    /** Explicit settings, as a runtime reads them from the metadata, under the default byte limit of 64 MiB. */
    public static ImagePreprocessor of(int height, int width, ResizeMethod resize, List<Double> mean, List<Double> std,
                                       String channels) {
        try {
            return new ImagePreprocessor(Preprocessing.of(height, width, resize, channels, mean, std),
                    InputFiles.DEFAULT_MAX_IMAGE_BYTES);
        } catch (ImageException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    /**
     * The same preprocessing, reading image files of at most {@code bytes} (default 64 MiB); a larger file, or one
     * that is not a regular file ({@code /dev/zero}, a FIFO), is refused before it is read.
     */
    public ImagePreprocessor withMaxImageBytes(long bytes) {
        return of(settings, bytes);
    }

    /**
     * The preprocessing a Graft model's metadata prescribes ({@code graft.input.*}), as a runtime reads it.
     *
     * @throws GraftException if a key is missing or malformed
     */
    public static ImagePreprocessor fromMetadata(Map<String, String> metadata) {
        try {
            return new ImagePreprocessor(Preprocessing.fromMetadata(metadata), InputFiles.DEFAULT_MAX_IMAGE_BYTES);
        } catch (ImageException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    /** The settings, as written into a model's metadata. */
    public Preprocessing settings() {
        return settings;
    }

    /** The largest image file read, in bytes. */
    public long maxImageBytes() {
        return maxImageBytes;
    }

    public int height() {
        return settings.height();
    }

    public int width() {
        return settings.width();
    }

    public int channels() {
        return preprocessor.channelCount();
    }

    /** Floats per preprocessed image: channels x height x width. */
    public int floatsPerImage() {
        return preprocessor.floatsPerImage();
    }

    /** {@link #size(Path, long)} under the default limit of 64 MiB. */
    public static int[] size(Path file) {
        return size(file, InputFiles.DEFAULT_MAX_IMAGE_BYTES);
    }

    /**
     * The width and height an image file decodes to (EXIF orientation applied), read from its headers without decoding
     * the pixels, from a regular file of at most {@code maxImageBytes}.
     *
     * @throws GraftException if the file cannot be read, is over the limit or is not an image
     */
    public static int[] size(Path file, long maxImageBytes) {
        byte[] bytes = bytes(file, maxImageBytes);
        try {
            return ImageDecoder.size(bytes);
        } catch (BadImageException e) {
            throw new GraftException("image " + file + " is not a JPEG, PNG, BMP or GIF (" + e.getMessage() + ")", e);
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
        byte[] bytes = bytes(file, maxImageBytes);
        PixelBuffer pixels = new PixelBuffer();
        try {
            ImageDecoder.decode(bytes, ImageDecoder.DEFAULT_MAX_PIXELS, pixels);
        } catch (BadImageException e) {
            throw new GraftException("cannot decode image " + file + ": " + e.getMessage(), e);
        }
        preprocessor.apply(pixels, preprocessor.newScratch(), dst, offset);
    }

    /** Preprocesses a decoded image, written as CHW at {@code dst[offset ..]}, with the same rules as a file. */
    public void preprocess(BufferedImage img, float[] dst, int offset) {
        PixelBuffer pixels = new PixelBuffer();
        try {
            ImageDecoder.fromImage(img, ImageDecoder.DEFAULT_MAX_PIXELS, pixels);
        } catch (BadImageException e) {
            throw new GraftException(e.getMessage(), e);
        }
        preprocessor.apply(pixels, preprocessor.newScratch(), dst, offset);
    }

    private static byte[] bytes(Path file, long maxImageBytes) {
        try {
            return InputFiles.readAllBytes(file, maxImageBytes, null);
        } catch (IOException e) {
            // a refused file's message already names it; other failures get the path and the reason
            throw new GraftException(e instanceof FileRefusedException ? "image " + e.getMessage()
                    : "cannot read image " + file + ": " + InputFiles.reason(e), e);
        }
    }
}
