package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * The command line's PyTorch log threshold: warnings below ERROR are no longer printed, and an engine failure is still
 * an exception carrying PyTorch's own message (what the user then reads as one line).
 */
class EngineLogTest {
    @Test
    void warningsAreQuietAndEngineErrorsStillArrive() {
        EngineLog.apply();
        String requested = System.getenv("TORCH_CPP_LOG_LEVEL");
        if (requested == null || requested.isBlank()) {
            assertThat(EngineLog.threshold()).isEqualTo(EngineLog.ERROR);
        }
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray a = manager.ones(new Shape(2, 3));
            NDArray b = manager.ones(new Shape(2, 3));
            assertThatThrownBy(() -> a.matMul(b)).isInstanceOf(EngineException.class)
                .hasMessageContaining("cannot be multiplied");
        }
    }
}
