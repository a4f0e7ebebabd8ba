package dev.graft.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.StringStringEntryProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Metadata written into a model file comes back intact through ONNX Runtime and through protobuf. */
class MetadataRoundTripTest {
    private static final Map<String, String> METADATA = new LinkedHashMap<>();

    static {
        METADATA.put("graft.labels", "[\"café\",\"日本\",\"with \\\"quotes\\\"\"]");
        METADATA.put("graft.normalize.mean", "0.485,0.456,0.406");
        METADATA.put("graft.activation", "softmax");
        METADATA.put("empty", "");
        METADATA.put("multi\nline", "line one\nline two");
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {OnnxOpset.MIN, OnnxOpset.MAX})
    void survivesWriteAndRead(int opset) throws IOException {
        Path file = dir.resolve("classifier.onnx");
        ModelProto model = new TestGraphs.Classifier(1).builder(opset).metadata(METADATA).build();

        OnnxFiles.writeAtomically(model, file);

        byte[] bytes = Files.readAllBytes(file);
        try (OrtRunner ort = OrtRunner.open(bytes, OptLevel.NO_OPT)) {
            assertThat(ort.customMetadata()).isEqualTo(METADATA);
        }
        ModelProto parsed = ModelProto.parseFrom(bytes);
        assertThat(parsed).isEqualTo(model);
        assertThat(OnnxFiles.read(file)).isEqualTo(model);
        assertThat(parsed.getMetadataPropsList())
                .extracting(StringStringEntryProto::getKey)
                .as("written in key order, so the same export gives the same bytes")
                .isSorted()
                .containsExactlyInAnyOrderElementsOf(METADATA.keySet());
        for (StringStringEntryProto e : parsed.getMetadataPropsList()) {
            assertThat(e.getValue()).isEqualTo(METADATA.get(e.getKey()));
        }
        assertThat(parsed.getProducerName()).isEqualTo("graft");
        assertThat(parsed.getProducerVersion()).isNotBlank().doesNotContain("${").isNotEqualTo("unknown");
        assertThat(parsed.getIrVersion()).isEqualTo(opset == 13 ? 7 : 8);
        assertThat(parsed.getOpsetImportList()).singleElement().satisfies(o -> {
            assertThat(o.getDomain()).isEmpty();
            assertThat(o.getVersion()).isEqualTo(opset);
        });
    }

    @Test
    void sameInputsGiveSameBytes() {
        Map<String, String> reversed = new LinkedHashMap<>();
        METADATA.keySet().stream().sorted(java.util.Comparator.reverseOrder())
                .forEach(k -> reversed.put(k, METADATA.get(k)));

        byte[] a = new TestGraphs.Classifier(1).builder(17).metadata(METADATA).build().toByteArray();
        byte[] b = new TestGraphs.Classifier(1).builder(17).metadata(reversed).build().toByteArray();

        assertThat(a).isEqualTo(b);
    }
}
