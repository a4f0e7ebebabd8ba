package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** The CPU Adam and the CPU max-pool write through the engine's direct buffers, so they must see an array's memory. */
class CpuMemoryTest {
    @Test
    void directBuffersOfContiguousCpuFloatArraysAreTheirMemory() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            assertThat(CpuMemory.isShared(a)).isTrue();
            assertThat(a.toFloatArray()).as("the probe puts the value back").containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(CpuMemory.isShared(a.transpose())).as("a transposed view is copied, not shared").isFalse();
            assertThat(CpuMemory.isShared(m.create(new int[] {1, 2}))).as("not float32").isFalse();
            assertThat(CpuMemory.isShared(m.create(new Shape(0)))).as("empty").isFalse();
            assertThat(CpuMemory.isShared(null)).isFalse();
        }
    }
}
