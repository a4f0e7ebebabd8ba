package dev.graft.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BatchNormalization, MaxPool, Concat, Add and Sigmoid, with two graph outputs: the residual-and-pooling half of
 * a ResNet's vocabulary, checked against plain Java at two batch and two (odd and even) image sizes.
 */
class PoolConcatGraphTest {
    private static final TestGraphs.PoolConcat GRAPH = new TestGraphs.PoolConcat(23);

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {OnnxOpset.MIN, OnnxOpset.MAX})
    void matchesReferenceAtTwoBatchAndTwoImageSizes(int opset) {
        Random random = new Random(100 + opset);
        int c = TestGraphs.PoolConcat.IN;
        int out = TestGraphs.PoolConcat.OUT;
        try (OrtRunner ort = OrtRunner.open(GRAPH.model(opset), OptLevel.ALL_OPT)) {
            for (int n : new int[] {2, 1}) {
                for (int[] hw : new int[][] {{6, 8}, {7, 5}}) {
                    int h = hw[0];
                    int w = hw[1];
                    float[] x = Reference.gaussian(random, n * c * h * w, 1.5);

                    Map<String, FloatTensor> outputs = ort.runAll(TestGraphs.INPUT, x, new long[] {n, c, h, w});

                    assertThat(outputs.keySet())
                            .containsExactly(TestGraphs.PoolConcat.OUTPUT, TestGraphs.PoolConcat.POOLED);
                    float[] expected = GRAPH.reference(x, n, h, w);
                    FloatTensor activated = outputs.get(TestGraphs.PoolConcat.OUTPUT);
                    assertThat(activated.shape()).containsExactly(n, out, h, w);
                    assertThat(activated.data()).as("n=%d h=%d w=%d", n, h, w)
                            .containsExactly(expected, within(1e-5f));
                    FloatTensor pooled = outputs.get(TestGraphs.PoolConcat.POOLED);
                    assertThat(pooled.shape()).containsExactly(n, out, h / 2, w / 2);
                    assertThat(pooled.data()).containsExactly(
                            Reference.maxPool(expected, n, out, h, w, 2, 2, 0), within(1e-5f));
                }
            }
        }
    }
}
