package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The Java max-pool against the engine's, bit for bit: same windows, same padding, same NaN handling. */
class CpuMaxPoolTest {
    @ParameterizedTest(name = "[{0},{1},{2},{3}] kernel {4} stride {5} padding {6}")
    @CsvSource({
        "32, 64, 32, 32, 3, 2, 1", // resnet's stem pool at 64 px
        "2, 3, 7, 9, 3, 2, 1",     // odd, non-square planes
        "1, 2, 8, 8, 2, 2, 0",
        "2, 4, 5, 5, 3, 1, 1",     // overlapping windows, stride 1
        "1, 3, 10, 11, 3, 3, 0",   // non-overlapping windows with a remainder
        "3, 17, 6, 4, 5, 2, 2",    // more planes than one unit of work, wide kernel
        "1, 1, 1, 1, 1, 1, 0"})
    void matchesTheEnginesPool(int n, int c, int h, int w, int kernel, int stride, int padding) {
        Random random = new Random(n * 31L + c * 7L + h + w + kernel);
        float[] values = new float[n * c * h * w];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() - 2; // mostly negative, so padding must never win
        }
        values[values.length / 2] = Float.NaN;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(values, new Shape(n, c, h, w));
            assertThat(CpuMaxPool.applies(x)).isTrue();
            NDArray expected = Pool.maxPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false);
            NDArray actual = CpuMaxPool.pool(x, kernel, stride, padding);
            assertThat(actual).isNotNull();
            assertThat(actual.getShape()).isEqualTo(expected.getShape());
            // isEqualTo compares float arrays with Arrays.equals (NaN equal to NaN) in one pass; containsExactly is far
            // slower on half a million elements
            assertThat(actual.toFloatArray()).isEqualTo(expected.toFloatArray());
            assertThat(actual.isNaN().any().getBoolean()).as("the NaN reaches its windows").isTrue();
        }
    }

    @Test
    void takesFloatImagesOnly() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertThat(CpuMaxPool.applies(m.randomNormal(new Shape(1, 1, 4, 4)))).isTrue();
            assertThat(CpuMaxPool.applies(m.randomNormal(new Shape(4, 4)))).as("not NCHW").isFalse();
            assertThat(CpuMaxPool.applies(m.zeros(new Shape(1, 1, 4, 4), DataType.FLOAT64))).isFalse();
        }
    }

    @Test
    void rejectsWindowsPyTorchRejects() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.randomNormal(new Shape(1, 1, 4, 4));
            assertThatThrownBy(() -> CpuMaxPool.pool(x, 3, 2, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("padding must be at most half the kernel");
            assertThatThrownBy(() -> CpuMaxPool.pool(x, 7, 1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not fit");
        }
    }
}
