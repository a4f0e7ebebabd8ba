package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user can get wrong fails with one line that says what, and never leaves a file behind. */
class BadInputTest {
    private static Network net;
    private static Map<String, Tensor> good;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        net = TestModels.resnet18();
        good = TestModels.randomWeights(net, 5);
    }

    private Path out() {
        return dir.resolve("model.onnx");
    }

    private void assertNothingWritten() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("files left in %s", dir).isEmpty();
        }
    }

    private static void assertOneLine(Throwable e) {
        assertThat(e.getMessage()).doesNotContain("\n");
    }

    @Test
    void missingWeightsAreNamed() throws IOException {
        Map<String, Tensor> w = new LinkedHashMap<>(good);
        w.remove("layer1.0.conv1.weight");
        w.remove("head.6.running_var");
        ExportOptions options = TestModels.options(net, w).build();

        assertThatThrownBy(() -> OnnxExporter.exportTo(options, out()))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("2 weight(s) missing")
                .hasMessageContaining("layer1.0.conv1.weight")
                .hasMessageContaining("head.6.running_var")
                .satisfies(BadInputTest::assertOneLine);
        assertNothingWritten();
    }

    @Test
    void nanAndInfiniteWeightsAreNamed() throws IOException {
        for (String name : List.of("layer2.1.bn2.running_var", "head.8.weight", "conv1.weight")) {
            Map<String, Tensor> w = new LinkedHashMap<>(good);
            float[] v = w.get(name).toFloatArray();
            v[v.length - 1] = name.startsWith("head") ? Float.POSITIVE_INFINITY : Float.NaN;
            w.put(name, Tensor.ofFloats(w.get(name).shape(), v));
            for (boolean fold : new boolean[] {true, false}) {
                ExportOptions options = TestModels.options(net, w).optFold(fold).build();
                assertThatThrownBy(() -> OnnxExporter.exportTo(options, out()))
                        .isInstanceOf(GraftException.class)
                        .hasMessageContaining("weight " + name + " holds")
                        .hasMessageContaining(name.startsWith("head") ? "Infinity" : "NaN")
                        .satisfies(BadInputTest::assertOneLine);
            }
        }
        assertNothingWritten();
    }

    @Test
    void misshapenWeightsAreNamed() {
        Map<String, Tensor> w = new LinkedHashMap<>(good);
        w.put("head.4.weight", Tensor.ofFloats(new long[] {512, 512}, new float[512 * 512]));
        assertThatThrownBy(() -> OnnxExporter.export(TestModels.options(net, w).build()))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("head.4.weight [512, 512] (expected [512, 1024])");
    }

    @Test
    void unwritableOutputLeavesNothing() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        ExportOptions options = TestModels.options(net, good).build();

        assertThatThrownBy(() -> OnnxExporter.exportTo(options, file.resolve("model.onnx")))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("is not a directory")
                .satisfies(BadInputTest::assertOneLine);
        assertThatThrownBy(() -> ExportProof.exportVerified(options, new SpecInterpreter(net, good), 0, 1, 32, 32,
                1e-4, file.resolve("model.onnx")))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("is not a directory");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
        assertThat(Files.readString(file)).isEqualTo("x");
    }

    @Test
    void unsupportedOpsetsAreRefusedBeforeAnythingHappens() throws IOException {
        for (int opset : new int[] {12, 18}) {
            assertThatThrownBy(() -> TestModels.options(net, good).optOpset(opset).build())
                    .isInstanceOf(GraftException.class)
                    .hasMessage("ONNX opset " + opset + " is not supported; use 13 to 17");
        }
        assertNothingWritten();
    }

    @Test
    void inconsistentOptionsAreRefused() {
        assertThatThrownBy(() -> TestModels.options(net, good).optLabels(List.of("a", "b")).build())
                .isInstanceOf(GraftException.class).hasMessage("2 label(s) given for a model with 3 output(s)");
        assertThatThrownBy(() -> TestModels.options(net, good).optLabels(List.of("a", "b\nc", "d")).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("on one line")
                .satisfies(BadInputTest::assertOneLine);
        assertThatThrownBy(() -> TestModels.options(net, good).optMean(List.of(0.5)).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("mean has 1 value(s)");
        assertThatThrownBy(() -> TestModels.options(net, good).optStd(List.of(0.2, 0.0, 0.2)).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> TestModels.options(net, good).optChannels("RG").build())
                .isInstanceOf(GraftException.class).hasMessageContaining("3 channel(s)");
        assertThatThrownBy(() -> TestModels.options(net, good).optSourceHash("abc").build())
                .isInstanceOf(GraftException.class).hasMessageContaining("SHA-256");
        assertThatThrownBy(() -> TestModels.options(net, good).optThreshold(1.0).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("threshold");
        assertThatThrownBy(() -> TestModels.options(net, good).optInputSize(0, 224).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> ExportOptions.builder().setWeights(good).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("network");
    }

    @Test
    void aNetworkWithoutAHeadIsNotAClassifier() {
        Network body = VisionModel.builder().setArch("resnet18").setClasses(3).optCustomHead(List.of()).build();
        assertThatThrownBy(() -> TestModels.options(body, good).build())
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("its output is [512, 7, 7] per image");
    }

    @Test
    void nonImageNetChannelCountsNeedTheirOwnStatistics() {
        Network gray = VisionModel.builder().setArch("resnet18").setClasses(2).optInputChannels(1).build();
        Map<String, Tensor> w = TestModels.randomWeights(gray, 6);
        assertThatThrownBy(() -> TestModels.options(gray, w).optChannels("L").build())
                .isInstanceOf(GraftException.class).hasMessageContaining("reads 1 channel(s)");
        ExportOptions ok = TestModels.options(gray, w).optChannels("L").optMean(List.of(0.5)).optStd(List.of(0.3)).build();
        assertThat(OnnxExporter.metadata(OnnxExporter.export(ok))).containsEntry(GraftMetadata.INPUT_CHANNELS, "L")
                .containsEntry(GraftMetadata.INPUT_MEAN, "0.5");
    }
}
