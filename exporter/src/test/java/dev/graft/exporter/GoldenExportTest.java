package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.models.checkpoint.Task;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightLoader;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The export of PyTorch's own model (fastai resnet18 + default head, golden weights) reproduces PyTorch's outputs:
 * the end-to-end proof that layer translation, folding, pooling order and activation are all right.
 */
class GoldenExportTest {
    private static final double TOLERANCE = 2e-5;
    private static Network net;
    private static Map<String, Tensor> weights;

    @BeforeAll
    static void load() {
        net = TestModels.resnet18();
        try (TensorFile file = SafeTensors.open(Golden.file("resnet18_c3_64.fastai.safetensors"))) {
            // Copied out of the mapping (WeightLoader returns views), so the file can be closed.
            Map<String, Tensor> loaded = WeightLoader.load(net, file.all(), LoadMode.ALL).tensors();
            weights = new java.util.LinkedHashMap<>();
            loaded.forEach((k, v) -> weights.put(k, Tensor.ofFloats(v.shape(), v.toFloatArray())));
        }
    }

    @ParameterizedTest(name = "{0}, fold={1}, {2}")
    @CsvSource({
        "softmax, true, ALL_OPT", "softmax, true, NO_OPT", "softmax, false, NO_OPT",
        "sigmoid, true, ALL_OPT", "sigmoid, true, NO_OPT", "sigmoid, false, NO_OPT"})
    void matchesPyTorch(String activation, boolean fold, OptLevel level) {
        String name = "resnet18_c3_64_" + activation;
        ModelProto model = OnnxExporter.export(TestModels.options(net, weights)
                .optTask(activation.equals("softmax") ? Task.SINGLE_LABEL : Task.MULTI_LABEL)
                .optOpset(17).optWithLogits(true).optFold(fold).build());
        float[] x = Golden.floats(name + ".input.bin");
        float[] expected = Golden.floats(name + ".output.bin");
        float[] expectedLogits = Golden.floats(name + ".logits.bin");

        Map<String, FloatTensor> out = TestModels.run(model, level, x, 4, 3, 64, 64);

        float[] probabilities = out.get(GraftMetadata.OUTPUT_NAME).data();
        float[] logits = out.get(GraftMetadata.LOGITS_NAME).data();
        double diff = TestModels.maxAbsDiff(probabilities, expected);
        double logitDiff = TestModels.maxAbsDiff(logits, expectedLogits);
        double fp64Diff = TestModels.maxAbsDiff(probabilities, Golden.floats(name + ".output_fp64ref.bin"));
        System.out.printf("golden %s fold=%s %s: max |probabilities diff| %.3g (vs float64 reference %.3g),"
                + " max |logits diff| %.3g%n", activation, fold, level, diff, fp64Diff, logitDiff);
        assertThat(out.get(GraftMetadata.OUTPUT_NAME).shape()).containsExactly(4, 3);
        assertThat(diff).isLessThanOrEqualTo(TOLERANCE);
        assertThat(logitDiff).isLessThanOrEqualTo(1e-4);
        assertThat(TestModels.argmax(probabilities, 3)).containsExactly(TestModels.argmax(expected, 3));
    }
}
