package dev.graft.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every remaining operator in {@link OnnxOperator}, at every supported opset, against plain Java; the
 * quantisation operators through their round trip, HardSwish only where the opset has it.
 */
class OtherOpsGraphTest {
    private static final TestGraphs.OtherOps GRAPH = new TestGraphs.OtherOps(5);

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {13, 14, 15, 16, 17})
    void matchesReference(int opset) {
        Random random = new Random(opset);
        int n = 3;
        int h = 5;
        int w = 4;
        float[] x = Reference.gaussian(random, n * TestGraphs.OtherOps.IN * h * w, 1.0);
        try (OrtRunner ort = OrtRunner.open(GRAPH.model(opset), OptLevel.NO_OPT)) {
            Map<String, FloatTensor> out = ort.runAll(
                    TestGraphs.INPUT, x, new long[] {n, TestGraphs.OtherOps.IN, h, w});

            float[] identity = GRAPH.identity(x, n, h, w);
            assertThat(out.get(TestGraphs.OtherOps.IDENTITY).data()).containsExactly(identity, within(1e-5f));

            // Quantisation rounds, so a value ORT computed one ulp off a .5 boundary may land one step away.
            float[] quantized = out.get(TestGraphs.OtherOps.QUANTIZED_AS_FLOAT).data();
            assertThat(quantized)
                    .containsExactly(TestGraphs.OtherOps.quantized(TestGraphs.OtherOps.gated(identity)), within(1f));
            float[] dequantized = out.get(TestGraphs.OtherOps.DEQUANTIZED).data();
            for (int i = 0; i < quantized.length; i++) {
                assertThat(dequantized[i]).isCloseTo(
                        (quantized[i] - TestGraphs.OtherOps.Q_ZERO) * TestGraphs.OtherOps.Q_SCALE, within(1e-6f));
            }

            if (opset >= 14) {
                assertThat(out.get(TestGraphs.OtherOps.HARD_SWISH).data())
                        .containsExactly(TestGraphs.OtherOps.hardSwish(identity), within(1e-5f));
            } else {
                assertThat(out).doesNotContainKey(TestGraphs.OtherOps.HARD_SWISH);
            }
        }
    }
}
