package dev.graft.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * A 2-D max-pool computed in Java over a CPU tensor's memory, for inputs that need no gradient: a frozen body's
 * forward in head-only training, validation, prediction.
 *
 * <p>Why: libtorch's CPU max-pool on NCHW tensors always runs the with-indices kernel, element by element, even when
 * no gradient is wanted. resnet's 3x3 stride-2 pool after the stem took 10 ms of a 65 to 75 ms body forward (batch 32,
 * 64 px, 2 cores), as much as PyTorch 1.13 itself takes; this separable pass (a row max, then a max over rows, which
 * vectorises) takes about 3.5 ms. Anything that needs a gradient keeps the engine's pool, whose backward the engine
 * owns.
 *
 * <p>Semantics are PyTorch's {@code max_pool2d} with {@code ceil_mode=False}: square kernel, stride and implicit
 * padding that never wins (negative infinity), NaN propagating.
 */
final class CpuMaxPool {
    /** Planes per unit of parallel work. */
    private static final int PLANES_PER_TASK = 16;

    private CpuMaxPool() {
    }

    /**
     * Whether {@link #pool} can take this input: float32 [N, C, H, W] on the CPU. Whether the input needs a gradient
     * is the caller's to know: DJL 0.35.1's {@code hasGradient()} answered false for an array an operation made
     * inside the autograd graph (its gradient function was {@code MulBackward0}), so only a leaf can be asked.
     */
    static boolean applies(NDArray x) {
        return Device.cpu().equals(x.getDevice()) && x.getDataType() == DataType.FLOAT32
            && x.getShape().dimension() == 4 && x.size() > 0;
    }

    /**
     * The pooled array, in {@code x}'s manager; null when the engine does not let Java write the output's memory, in
     * which case the caller uses the engine's pool.
     *
     * @throws IllegalArgumentException if the window does not fit (padding over half the kernel, or no output)
     */
    static NDArray pool(NDArray x, int kernel, int stride, int padding) {
        Shape s = x.getShape();
        int n = Math.toIntExact(s.get(0));
        int c = Math.toIntExact(s.get(1));
        int h = Math.toIntExact(s.get(2));
        int w = Math.toIntExact(s.get(3));
        if (kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException("max-pool kernel " + kernel + ", stride " + stride + ", padding "
                + padding + ": padding must be at most half the kernel");
        }
        int oh = (h + 2 * padding - kernel) / stride + 1;
        int ow = (w + 2 * padding - kernel) / stride + 1;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("max-pool kernel " + kernel + " does not fit a " + h + "x" + w
                + " input");
        }
        NDArray out = x.getManager().create(new Shape(n, c, oh, ow));
        if (!CpuMemory.isShared(out)) {
            out.close();
            return null;
        }
        FloatBuffer in = x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer target = out.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        int planes = n * c;
        Window rows = new Window(h, oh, kernel, stride, padding);
        Window cols = new Window(w, ow, kernel, stride, padding);
        IntStream.range(0, (planes + PLANES_PER_TASK - 1) / PLANES_PER_TASK).parallel().forEach(task -> {
            float[] plane = new float[h * w];
            float[] rowMax = new float[h * ow];
            float[] pooled = new float[oh * ow];
            int end = Math.min(planes, (task + 1) * PLANES_PER_TASK);
            for (int p = task * PLANES_PER_TASK; p < end; p++) {
                in.get(p * h * w, plane);
                poolPlane(plane, w, h, rowMax, pooled, rows, cols);
                target.put(p * oh * ow, pooled);
            }
        });
        return out;
    }

    /** One plane: the max over each row's windows, then over each window of those rows. */
    private static void poolPlane(float[] plane, int w, int h, float[] rowMax, float[] pooled, Window rows,
                                  Window cols) {
        int ow = cols.out;
        for (int r = 0; r < h; r++) {
            int base = r * w;
            int dst = r * ow;
            for (int j = 0; j < ow; j++) {
                float m = plane[base + cols.first[j]];
                for (int t = cols.first[j] + 1; t <= cols.last[j]; t++) {
                    m = Math.max(m, plane[base + t]);
                }
                rowMax[dst + j] = m;
            }
        }
        for (int i = 0; i < rows.out; i++) {
            int dst = i * ow;
            System.arraycopy(rowMax, rows.first[i] * ow, pooled, dst, ow);
            for (int r = rows.first[i] + 1; r <= rows.last[i]; r++) {
                int src = r * ow;
                for (int j = 0; j < ow; j++) {
                    pooled[dst + j] = Math.max(pooled[dst + j], rowMax[src + j]);
                }
            }
        }
    }

    /** The first and last input index each output position's window covers along one axis, padding excluded. */
    private static final class Window {
        final int out;
        final int[] first;
        final int[] last;

        Window(int size, int out, int kernel, int stride, int padding) {
            this.out = out;
            first = new int[out];
            last = new int[out];
            for (int i = 0; i < out; i++) {
                int start = i * stride - padding;
                first[i] = Math.max(0, start);
                last[i] = Math.min(size - 1, start + kernel - 1);
            }
        }
    }
}
