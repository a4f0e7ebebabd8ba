package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.models.checkpoint.Task;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every supported opset exports a model that ONNX's own checker accepts (full shape inference) and that ONNX Runtime
 * runs to the same answer; the unfolded form too, since it uses BatchNormalization and Dropout, whose definitions
 * changed within the range.
 */
class OpsetAndCheckerTest {
    private static Network net;
    private static Map<String, Tensor> weights;
    private static float[] reference;
    private static final float[] X = TestModels.gaussian(13, 2 * 3 * 48 * 48);

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        // y_range and bn_final add the Sigmoid/Mul/Add and the head BatchNorms to what the checker sees.
        net = TestModels.resnet("resnet18", 3, HeadOptions.builder().optBnFinal(true).optYRange(0, 1).build());
        weights = TestModels.randomWeights(net, 21);
        reference = new SpecInterpreter(net, weights).forward(X, 2, 3, 48, 48);
    }

    @ParameterizedTest(name = "opset {0}, fold={1}")
    @CsvSource({"13, true", "14, true", "15, true", "16, true", "17, true", "13, false", "14, false", "15, false",
        "17, false"})
    void exportsCheckAndRun(int opset, boolean fold) {
        ModelProto model = OnnxExporter.export(TestModels.options(net, weights).optTask(Task.REGRESSION)
                .optOpset(opset).optFold(fold).optWithLogits(true).build());
        Path file = dir.resolve("model-" + opset + "-" + fold + ".onnx");
        OnnxFiles.writeAtomically(model, file);

        assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(opset);
        assertThat(OnnxExporter.metadata(model)).containsEntry(GraftMetadata.OPSET, Integer.toString(opset));
        float[] out = TestModels.run(OnnxFiles.read(file), OptLevel.ALL_OPT, X, 2, 3, 48, 48)
                .get(GraftMetadata.OUTPUT_NAME).data();
        assertThat(TestModels.maxAbsDiff(out, reference)).isLessThanOrEqualTo(1e-5);
        OnnxChecker.assertValid(file);
    }
}
