package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The PyTorch engine must come up from the jars on the class path alone, with no download. */
class EngineTest {

    @Test
    void pytorchLoadsOfflineFromTheNativeJar() {
        assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
        Engine engine = Engine.getEngine("PyTorch");
        System.out.println("engine " + engine.getEngineName() + " " + engine.getVersion() + " devices "
            + engine.getGpuCount());
        try (NDManager m = NDManager.newBaseManager(engine.defaultDevice(), "PyTorch")) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}).reshape(2, 2);
            assertThat(a.matMul(a).toFloatArray()).containsExactly(7, 10, 15, 22);
        }
    }
}
