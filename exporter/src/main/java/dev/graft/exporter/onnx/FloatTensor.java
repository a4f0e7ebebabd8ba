package dev.graft.exporter.onnx;

import java.util.Arrays;

/**
 * A float32 tensor as plain Java data: row-major values and their shape.
 *
 * <p>It is how {@link OrtRunner} hands results back, so that callers compare exported outputs with reference
 * values without touching ONNX Runtime objects, whose native memory must be closed. The arrays are not copied;
 * treat them as read-only. Equality is by content.
 */
public record FloatTensor(float[] data, long[] shape) {
    /** @throws IllegalArgumentException if {@code data.length} is not the product of {@code shape} */
    public FloatTensor {
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, d);
        }
        if (count != data.length) {
            throw new IllegalArgumentException(
                    data.length + " values do not fill shape " + Arrays.toString(shape) + " (" + count + ")");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatTensor t && Arrays.equals(t.data, data) && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(data) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}
