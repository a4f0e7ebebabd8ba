package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.image.testing.TestImages;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Only the caller's input is bad input: a failure inside ONNX Runtime on an input that passed every check is an
 * {@link EngineException} (a server answers 500), while a tensor the graph's own dimensions reject stays a
 * {@link BadInputException} (400). Both with real models and real inputs.
 */
class EngineFaultTest {
    private static final BufferedImage PICTURE = TestImages.picture(70, 50, 4);

    @Test
    void aGraphThatFailsInsideTheEngineIsAnEngineFaultAndTheModelKeepsServing() {
        byte[] model = TestModels.bakedForBatch(TestModels.goldenSoftmax(), 2, 3);
        try (EdgeModel m = EdgeModel.load(model, TestModels.cpu())) {
            assertThatThrownBy(() -> m.predict(PICTURE)).isInstanceOf(EngineException.class)
                    .isNotInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("ONNX Runtime failed running a batch of shape [1, 3, 64, 64]: ")
                    .hasMessageNotContaining("\n");
            // the batch size the graph was baked for runs: the model is not broken for good
            assertThat(m.predictBatch(List.of(EdgeInput.of(PICTURE), EdgeInput.of(PICTURE)))).hasSize(2);
        }
    }

    @Test
    void aTensorTheGraphsFixedDimensionsRejectIsBadInput() {
        byte[] model = TestModels.fixedInputSize(TestModels.goldenSoftmax(), 64);
        try (EdgeModel m = EdgeModel.load(model, TestModels.cpu())) {
            assertThat(m.predict(PICTURE).scores()).hasSize(3);
            assertThatThrownBy(() -> m.runTensor(new float[3 * 32 * 32], 1, 32, 32))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("ONNX Runtime rejected a batch of shape [1, 3, 32, 32]: ");
            assertThat(m.predict(PICTURE).scores()).hasSize(3);
        }
    }
}
