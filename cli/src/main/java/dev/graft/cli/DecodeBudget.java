package dev.graft.cli;

import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * How much memory image decoding may hold at once in {@code graft serve}.
 *
 * <p>An upload's size says little about what decoding it costs: a 143 KB PNG of 7000 x 7000 pixels needs about 340 MB
 * while it is decoded (ImageIO's raster plus the packed pixels handed to the preprocessor). Without a bound, a handful of
 * such uploads at once took the server from 530 MB to 2 GB and made every other request wait behind them. Each upload's
 * cost is therefore estimated from its header alone (width x height x (the decoder's bytes per pixel + 4)) before a pixel
 * is decoded, and decoding starts only once that many bytes of the budget are free. The semaphore is not fair on
 * purpose: a small image whose cost fits in what is left goes ahead of a large one still waiting for room, so a flood of
 * large images does not hold up ordinary requests.
 *
 * <p>An image that costs more than the whole budget (but is under the decoder's pixel limit) is not refused: it waits
 * until nothing else is being decoded and then takes the whole budget, so it decodes alone.
 */
final class DecodeBudget {
    /** What the packed ARGB copy handed to the preprocessor takes per pixel. */
    private static final int PACKED_BYTES_PER_PIXEL = 4;
    /** A floor for tiny or unreadable images: the decoder's own buffers and streams. */
    private static final long MIN_COST = 256 << 10;

    private final long budget;
    private final int permits;
    private final Semaphore semaphore;
    private final AtomicLong inUse = new AtomicLong();

    DecodeBudget(long budgetBytes) {
        if (budgetBytes < 1 << 20) {
            throw new IllegalArgumentException("decode budget under 1 MB: " + budgetBytes);
        }
        this.budget = budgetBytes;
        this.permits = (int) Math.min(Integer.MAX_VALUE, budgetBytes >> 10);
        this.semaphore = new Semaphore(permits, false);
    }

    long budget() {
        return budget;
    }

    /** Bytes of the budget held by decodes running now. */
    long inUse() {
        return inUse.get();
    }

    /**
     * The memory decoding {@code encoded} will take, from its header only. Bytes that no reader recognises, and images
     * over {@code maxPixels} (which the decoder refuses from their header), cost the floor: decoding them fails at once,
     * so they must not wait for room they will never use.
     */
    static long cost(byte[] encoded, long maxPixels) {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return MIN_COST;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels <= 0 || pixels > maxPixels) {
                    return MIN_COST;
                }
                return Math.max(MIN_COST, pixels * (rasterBytesPerPixel(reader) + PACKED_BYTES_PER_PIXEL));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return MIN_COST; // the decoder will say what is wrong with it
        }
    }

    /** Bytes per pixel of the raster the reader decodes into; 8 (16-bit RGBA, the widest common case) when unknown. */
    private static int rasterBytesPerPixel(ImageReader reader) {
        try {
            ImageTypeSpecifier type = reader.getRawImageType(0);
            if (type == null) {
                return 8;
            }
            SampleModel sm = type.getSampleModel();
            int bits = 0;
            for (int b : sm.getSampleSize()) {
                bits += b;
            }
            return Math.max(1, (bits + 7) / 8);
        } catch (IOException | RuntimeException e) {
            return 8;
        }
    }

    /**
     * Takes {@code bytes} of the budget (all of it when {@code bytes} is more), waiting up to {@code wait}.
     *
     * @return the lease to close when decoding is over, or {@code null} if the room did not come in time
     */
    Lease acquire(long bytes, Duration wait) throws InterruptedException {
        int n = (int) Math.min(permits, Math.max(1, (bytes + 1023) >> 10));
        if (!semaphore.tryAcquire(n, wait.toNanos(), TimeUnit.NANOSECONDS)) {
            return null;
        }
        long held = (long) n << 10;
        inUse.addAndGet(held);
        return new Lease(n, held);
    }

    /** A share of the budget; closing it twice is harmless. */
    final class Lease implements AutoCloseable {
        private final int n;
        private final long held;
        private boolean closed;

        private Lease(int n, long held) {
            this.n = n;
            this.held = held;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                inUse.addAndGet(-held);
                semaphore.release(n);
            }
        }
    }
}
