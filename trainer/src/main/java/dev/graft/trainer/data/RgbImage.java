package dev.graft.trainer.data;

/**
 * A decoded image as packed {@code 0xRRGGBB} ints, row-major; alpha is gone by the time an image gets here.
 *
 * <p>One int per pixel keeps decoding and resampling free of per-pixel objects and lets the transforms index pixels
 * directly, which Java2D's {@code BufferedImage} only does through colour-model indirection.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final int[] pixels;

    /** Wraps {@code pixels} without copying; the caller hands it over. */
    public RgbImage(int width, int height, int[] pixels) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        if (pixels.length != width * height) {
            throw new IllegalArgumentException("expected " + width * height + " pixels, got " + pixels.length);
        }
        this.width = width;
        this.height = height;
        this.pixels = pixels;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The backing array, {@code 0xRRGGBB} per pixel, row-major; not a copy. */
    public int[] pixels() {
        return pixels;
    }

    /** The packed {@code 0xRRGGBB} value at (x, y). */
    public int rgb(int x, int y) {
        return pixels[y * width + x];
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
