package dev.graft.image;

/**
 * A decoded image as packed {@code 0xAARRGGBB} ints in row-major order, in an array that is kept and reused.
 *
 * <p>Decoding into a fresh array per image would make the garbage collector part of every prediction's latency; a
 * buffer per worker grows to the largest image seen and is then written in place. Alpha is {@code 0xFF} for opaque
 * images; colour channels are never premultiplied. Not thread-safe: one buffer per thread.
 */
public final class PixelBuffer {
    private int[] data = new int[0];
    private int width;
    private int height;

    /** Makes room for {@code width x height} pixels and sets the size; earlier contents are undefined afterwards. */
    public int[] reset(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("bad size " + width + "x" + height);
        }
        long n = (long) width * height;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image too large: " + width + "x" + height);
        }
        if (data.length < n) {
            data = new int[(int) n];
        }
        this.width = width;
        this.height = height;
        return data;
    }

    /** The backing array; only the first {@code width * height} entries belong to the image. */
    public int[] data() {
        return data;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The pixel at {@code (x, y)} as {@code 0xAARRGGBB}. */
    public int argb(int x, int y) {
        if (x < 0 || y < 0 || x >= width || y >= height) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ") outside " + width + "x" + height);
        }
        return data[y * width + x];
    }

    /**
     * Gives the array back to the garbage collector if it holds more than {@code maxPixels} pixels, so that one huge
     * image does not pin its memory in a long-running process.
     */
    public void trim(int maxPixels) {
        if (data.length > maxPixels) {
            data = new int[0];
            width = 0;
            height = 0;
        }
    }

    /** How many ints the buffer holds now (its high-water mark). */
    public int capacity() {
        return data.length;
    }
}
