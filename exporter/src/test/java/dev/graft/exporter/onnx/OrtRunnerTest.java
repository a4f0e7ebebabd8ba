package dev.graft.exporter.onnx;

import static dev.graft.exporter.onnx.OnnxDim.fixed;
import static dev.graft.exporter.onnx.OnnxDim.symbolic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ONNX Runtime's failures reach the caller as one-line GraftExceptions; misuse stays a programming error. */
class OrtRunnerTest {
    private static final ModelProto SIGMOID = sigmoid();

    private static ModelProto sigmoid() {
        OnnxGraphBuilder b = new OnnxGraphBuilder("sigmoid")
                .addInput("x", symbolic("batch"), fixed(2))
                .addOutput("y", symbolic("batch"), fixed(2));
        b.node(OnnxOperator.SIGMOID, List.of("x"), List.of("y"));
        return b.build();
    }

    @Test
    void runsAndReportsNames() {
        try (OrtRunner ort = OrtRunner.open(SIGMOID, OptLevel.BASIC_OPT)) {
            assertThat(ort.inputNames()).containsExactly("x");
            assertThat(ort.outputNames()).containsExactly("y");
            assertThat(ort.run("x", new float[] {0, 0, 0, 0}, new long[] {2, 2}, "y"))
                    .containsExactly(0.5f, 0.5f, 0.5f, 0.5f);
            assertThat(ort.customMetadata()).isEmpty();
        }
    }

    @Test
    void garbageModelIsAGraftException() {
        assertThatThrownBy(() -> OrtRunner.open(new byte[] {1, 2, 3, 4, 5}, OptLevel.NO_OPT))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("ONNX Runtime cannot load the model: ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void structurallyInvalidModelIsAGraftException() {
        ModelProto noOpset = SIGMOID.toBuilder().clearOpsetImport().build();

        assertThatThrownBy(() -> OrtRunner.open(noOpset, OptLevel.NO_OPT))
                .isInstanceOf(GraftException.class)
                .hasMessageNotContaining("\n");
    }

    @Test
    void wrongInputNameOrShapeIsAGraftException() {
        try (OrtRunner ort = OrtRunner.open(SIGMOID, OptLevel.NO_OPT)) {
            assertThatThrownBy(() -> ort.run("nope", new float[2], new long[] {1, 2}, "y"))
                    .isInstanceOf(GraftException.class)
                    .hasMessageContaining("input 'nope'")
                    .hasMessageNotContaining("\n");
            assertThatThrownBy(() -> ort.run("x", new float[3], new long[] {1, 3}, "y"))
                    .isInstanceOf(GraftException.class)
                    .hasMessageContaining("[1, 3]");
            assertThatThrownBy(() -> ort.run("x", new float[2], new long[] {1, 2}, "nope"))
                    .isInstanceOf(GraftException.class);
        }
    }

    @Test
    void dataThatDoesNotFillTheShapeIsAProgrammingError() {
        try (OrtRunner ort = OrtRunner.open(SIGMOID, OptLevel.NO_OPT)) {
            assertThatThrownBy(() -> ort.run("x", new float[3], new long[] {1, 2}, "y"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void closedRunnerRefusesWorkAndClosesTwiceQuietly() {
        OrtRunner ort = OrtRunner.open(SIGMOID, OptLevel.NO_OPT);
        ort.close();
        ort.close();

        assertThatThrownBy(() -> ort.run("x", new float[2], new long[] {1, 2}, "y"))
                .isInstanceOf(IllegalStateException.class);
    }
}
