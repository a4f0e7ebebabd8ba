package dev.graft.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.exporter.OnnxChecker;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ONNX project's checker, with full shape and type inference, accepts what the builder writes at both ends
 * of the supported opset range. Skipped where Debian's python3-onnx is missing.
 */
class OnnxCheckerAcceptsExportsTest {
    private static final Map<String, IntFunction<ModelProto>> GRAPHS = Map.of(
            "classifier", opset -> new TestGraphs.Classifier(1).builder(opset)
                    .metadata(Map.of("graft.labels", "[\"a\",\"b\"]")).build(),
            "pool_concat", new TestGraphs.PoolConcat(2)::model,
            "other_ops", new TestGraphs.OtherOps(3)::model);

    @TempDir
    Path dir;

    @BeforeAll
    static void needsTheChecker() {
        OnnxChecker.assumeAvailable();
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {OnnxOpset.MIN, OnnxOpset.MAX})
    void acceptsEveryTestGraph(int opset) {
        for (Map.Entry<String, IntFunction<ModelProto>> graph : GRAPHS.entrySet()) {
            Path file = dir.resolve(graph.getKey() + "-opset" + opset + ".onnx");
            OnnxFiles.writeAtomically(graph.getValue().apply(opset), file);

            OnnxChecker.assertValid(file);
        }
    }

    /** Proves the oracle can say no, so that the test above means something. */
    @Test
    void rejectsABrokenModel() {
        ModelProto good = new TestGraphs.Classifier(1).model(OnnxOpset.DEFAULT);
        ModelProto broken = good.toBuilder()
                .setGraph(good.getGraph().toBuilder().setNode(0, good.getGraph().getNode(0).toBuilder()
                        .setOpType("NoSuchOperator")))
                .build();
        Path file = dir.resolve("broken.onnx");
        OnnxFiles.writeAtomically(broken, file);

        OnnxChecker.Result result = OnnxChecker.check(file);

        assertThat(result.ok()).isFalse();
        assertThat(result.output()).contains("NoSuchOperator");
    }
}
