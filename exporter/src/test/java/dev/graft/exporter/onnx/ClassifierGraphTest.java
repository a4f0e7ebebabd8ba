package dev.graft.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> Softmax, built by hand, run in ONNX Runtime and
 * compared with plain Java: the shape of every Graft export, at several batch and image sizes from one model.
 */
class ClassifierGraphTest {
    private static final TestGraphs.Classifier GRAPH = new TestGraphs.Classifier(11);

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int opset : new int[] {OnnxOpset.MIN, OnnxOpset.MAX}) {
            for (OptLevel level : new OptLevel[] {OptLevel.NO_OPT, OptLevel.ALL_OPT}) {
                cases.add(Arguments.of(opset, level));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "opset {0}, {1}")
    @MethodSource("cases")
    void matchesReferenceAtTwoBatchAndTwoImageSizes(int opset, OptLevel level) {
        Random random = new Random(opset);
        try (OrtRunner ort = OrtRunner.open(GRAPH.model(opset), level)) {
            for (int n : new int[] {1, 3}) {
                for (int[] hw : new int[][] {{16, 16}, {9, 13}}) {
                    int h = hw[0];
                    int w = hw[1];
                    float[] x = Reference.gaussian(random, n * TestGraphs.Classifier.IN * h * w, 1.0);
                    long[] shape = {n, TestGraphs.Classifier.IN, h, w};

                    float[] actual = ort.run(TestGraphs.INPUT, x, shape, TestGraphs.Classifier.OUTPUT);

                    assertThat(actual).as("n=%d h=%d w=%d", n, h, w)
                            .containsExactly(GRAPH.reference(x, n, h, w), within(1e-5f));
                    Map<String, FloatTensor> all = ort.runAll(TestGraphs.INPUT, x, shape);
                    assertThat(all).containsOnlyKeys(TestGraphs.Classifier.OUTPUT);
                    assertThat(all.get(TestGraphs.Classifier.OUTPUT).shape())
                            .containsExactly(n, TestGraphs.Classifier.CLASSES);
                    assertThat(all.get(TestGraphs.Classifier.OUTPUT).data()).containsExactly(actual);
                }
            }
        }
    }
}
