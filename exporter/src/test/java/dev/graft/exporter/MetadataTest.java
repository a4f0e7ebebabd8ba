package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.image.ResizeMethod;
import dev.graft.models.checkpoint.Task;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftVersion;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The graft.* metadata as a deployed application sees it: read back through ONNX Runtime. */
class MetadataTest {
    private static final String HASH = "527b447b56f33b4629a4bd9aae48dd2e5c8f57f6369ff9bb8301aeded611348b";
    private static Network net;
    private static Map<String, Tensor> weights;

    @BeforeAll
    static void setUp() {
        net = TestModels.resnet18();
        weights = TestModels.randomWeights(net, 4);
    }

    private static Map<String, String> throughOrt(ModelProto model) {
        try (OrtRunner ort = OrtRunner.open(model, OptLevel.NO_OPT)) {
            return ort.customMetadata();
        }
    }

    @Test
    void everyKeyRoundTripsWithItsValue() {
        ModelProto model = OnnxExporter.export(TestModels.options(net, weights).optTask(Task.MULTI_LABEL)
                .optThreshold(0.3).optLabels(List.of("cat", "dog", "bird with spaces")).optInputSize(192, 256)
                .optResize(ResizeMethod.SQUISH).optMean(List.of(0.5, 0.5, 0.5)).optStd(List.of(0.25, 0.25, 0.25))
                .optChannels("BGR").optSourceHash(HASH.toUpperCase()).optOpset(15).build());

        Map<String, String> meta = throughOrt(model);

        assertThat(meta).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry(GraftMetadata.FORMAT, "1"),
                Map.entry(GraftMetadata.TASK, "multi_label"),
                Map.entry(GraftMetadata.ACTIVATION, "sigmoid"),
                Map.entry(GraftMetadata.THRESHOLD, "0.3"),
                Map.entry(GraftMetadata.LABELS, "cat\ndog\nbird with spaces"),
                Map.entry(GraftMetadata.INPUT_SIZE, "192,256"),
                Map.entry(GraftMetadata.INPUT_RESIZE, "squish"),
                Map.entry(GraftMetadata.INPUT_MEAN, "0.5,0.5,0.5"),
                Map.entry(GraftMetadata.INPUT_STD, "0.25,0.25,0.25"),
                Map.entry(GraftMetadata.INPUT_CHANNELS, "BGR"),
                Map.entry(GraftMetadata.PRECISION, "fp32"),
                Map.entry(GraftMetadata.ARCH, "resnet18"),
                Map.entry(GraftMetadata.BODY_END, "layer4.1.relu_1"),
                Map.entry(GraftMetadata.HEAD_START, "head.0"),
                Map.entry(GraftMetadata.VERSION, GraftVersion.get()),
                Map.entry(GraftMetadata.SOURCE, HASH),
                Map.entry(GraftMetadata.OPSET, "15"),
                Map.entry(GraftMetadata.NUM_CLASSES, "3")));
        assertThat(GraftMetadata.KEYS).containsExactlyInAnyOrderElementsOf(meta.keySet());
        assertThat(GraftMetadata.KEYS).allMatch(k -> k.startsWith(GraftMetadata.PREFIX));
    }

    @Test
    void defaultsAreImageNetCropAndNumberedLabels() {
        Map<String, String> meta = throughOrt(OnnxExporter.export(TestModels.options(net, weights).build()));

        assertThat(meta)
                .containsEntry(GraftMetadata.TASK, "single_label")
                .containsEntry(GraftMetadata.ACTIVATION, "softmax")
                .containsEntry(GraftMetadata.LABELS, "0\n1\n2")
                .containsEntry(GraftMetadata.INPUT_SIZE, "224,224")
                .containsEntry(GraftMetadata.INPUT_RESIZE, "crop")
                .containsEntry(GraftMetadata.INPUT_MEAN, "0.485,0.456,0.406")
                .containsEntry(GraftMetadata.INPUT_STD, "0.229,0.224,0.225")
                .containsEntry(GraftMetadata.INPUT_CHANNELS, "RGB")
                .containsEntry(GraftMetadata.OPSET, "17")
                .doesNotContainKeys(GraftMetadata.THRESHOLD, GraftMetadata.SOURCE);
    }

    @Test
    void regressionWithoutActivationAndWithLogitsHasBothOutputs() {
        ModelProto model = OnnxExporter.export(TestModels.options(net, weights).optTask(Task.REGRESSION)
                .optWithLogits(true).build());
        assertThat(throughOrt(model)).containsEntry(GraftMetadata.ACTIVATION, "none");
        try (OrtRunner ort = OrtRunner.open(model, OptLevel.ALL_OPT)) {
            assertThat(ort.outputNames()).containsExactly(GraftMetadata.OUTPUT_NAME, GraftMetadata.LOGITS_NAME);
            var out = ort.runAll(GraftMetadata.INPUT_NAME, TestModels.gaussian(1, 3 * 32 * 32), new long[] {1, 3, 32, 32});
            assertThat(out.get(GraftMetadata.OUTPUT_NAME).data()).containsExactly(out.get(GraftMetadata.LOGITS_NAME).data());
        }
    }

    @Test
    void explicitActivationOverridesTheTask() {
        ModelProto model = OnnxExporter.export(TestModels.options(net, weights).optTask(Task.SINGLE_LABEL)
                .optActivation(Activation.SIGMOID).build());
        assertThat(OnnxExporter.metadata(model)).containsEntry(GraftMetadata.ACTIVATION, "sigmoid");
        assertThat(OnnxExporter.opHistogram(model)).containsKey("Sigmoid").doesNotContainKey("Softmax");
    }
}
