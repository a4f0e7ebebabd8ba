package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fitted temperature folded into the graph: one Mul by 1/T before the softmax, the probabilities are softmax(logits /
 * T), the argmax is unchanged, the proof compares against the reference's logits / T (and catches a graph whose
 * metadata names another T), and a model without a softmax is refused.
 */
class TemperatureFoldTest {
    private static Network net;
    private static Map<String, Tensor> weights;
    private static SpecInterpreter reference;
    private static final double T = 2.75;

    @BeforeAll
    static void setUp() {
        net = TestModels.resnet18();
        weights = TestModels.randomWeights(net, 9);
        reference = new SpecInterpreter(net, weights);
    }

    private static ExportOptions.Builder options() {
        return TestModels.options(net, weights).optInputSize(40, 40).optWithLogits(true);
    }

    @Test
    void probabilitiesAreSoftmaxOfLogitsOverTAndTheArgmaxIsUnchanged() {
        ModelProto plain = OnnxExporter.exportFp32(options().build());
        ModelProto scaled = OnnxExporter.exportFp32(options().optTemperature(T).build());
        assertThat(OnnxExporter.opHistogram(scaled).get("Mul")).isEqualTo(
                OnnxExporter.opHistogram(plain).getOrDefault("Mul", 0) + 1);
        assertThat(Double.parseDouble(OnnxExporter.metadata(scaled).get(GraftMetadata.TEMPERATURE)))
                .isCloseTo(T, within(T * 1e-6));
        assertThat(OnnxExporter.metadata(plain)).doesNotContainKey(GraftMetadata.TEMPERATURE);
        int n = 6;
        float[] x = TestModels.gaussian(3, n * 3 * 40 * 40);
        var a = TestModels.run(plain, OptLevel.ALL_OPT, x, n, 3, 40, 40);
        var b = TestModels.run(scaled, OptLevel.ALL_OPT, x, n, 3, 40, 40);
        float[] logits = b.get(GraftMetadata.LOGITS_NAME).data();
        float[] probs = b.get(GraftMetadata.OUTPUT_NAME).data();
        assertThat(logits).containsExactly(a.get(GraftMetadata.LOGITS_NAME).data());
        int classes = logits.length / n;
        for (int r = 0; r < n; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                max = Math.max(max, logits[r * classes + k] / T);
            }
            double sum = 0;
            for (int k = 0; k < classes; k++) {
                sum += Math.exp(logits[r * classes + k] / T - max);
            }
            for (int k = 0; k < classes; k++) {
                assertThat((double) probs[r * classes + k])
                        .isCloseTo(Math.exp(logits[r * classes + k] / T - max) / sum, within(1e-6));
            }
        }
        assertThat(TestModels.argmax(probs, classes))
                .containsExactly(TestModels.argmax(a.get(GraftMetadata.OUTPUT_NAME).data(), classes));
        // the scaled probabilities differ from the plain ones: T did something
        assertThat(TestModels.maxAbsDiff(probs, a.get(GraftMetadata.OUTPUT_NAME).data())).isGreaterThan(1e-3);
    }

    @Test
    void theProofComparesAgainstLogitsOverTAndCatchesAnotherT() {
        ModelProto scaled = OnnxExporter.exportFp32(options().optTemperature(T).build());
        ExportProof.Result ok = ExportProof.verify(scaled, reference, 1, 2, 40, 40, 1e-4);
        assertThat(ok.passed()).as(ok.explanation()).isTrue();
        ModelProto.Builder lying = scaled.toBuilder();
        for (int i = 0; i < lying.getMetadataPropsCount(); i++) {
            if (lying.getMetadataProps(i).getKey().equals(GraftMetadata.TEMPERATURE)) {
                lying.setMetadataProps(i, lying.getMetadataProps(i).toBuilder().setValue("1.0"));
            }
        }
        assertThat(ExportProof.verify(lying.build(), reference, 1, 2, 40, 40, 1e-4).passed()).isFalse();
        TrainedReference trained = TrainedReference.of(reference::forward, (x, n, c, h, w) -> {
            float[] y = reference.forward(x, n, c, h, w);
            double[] d = new double[y.length];
            for (int i = 0; i < y.length; i++) {
                d[i] = y[i];
            }
            return d;
        });
        assertThat(ExportProof.verify(scaled, trained, 1, 2, 40, 40, OptionalDouble.empty()).passed()).isTrue();
    }

    @Test
    void aTemperatureNeedsASingleLabelSoftmaxAndAPositiveValue() {
        assertThatThrownBy(() -> options().optTask(Task.MULTI_LABEL).optTemperature(T).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("single-label");
        assertThatThrownBy(() -> options().optActivation(Activation.NONE).optTemperature(T).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("softmax");
        assertThatThrownBy(() -> options().optTemperature(0).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> options().optTemperature(Double.POSITIVE_INFINITY).build())
                .isInstanceOf(GraftException.class).hasMessageContaining("positive");
        assertThat(options().optTemperature(T).build().toBuilder().build().temperature()).hasValue(T);
    }
}
