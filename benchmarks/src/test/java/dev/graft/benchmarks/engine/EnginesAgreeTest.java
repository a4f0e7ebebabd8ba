package dev.graft.benchmarks.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.benchmarks.TestModels;
import dev.graft.models.checkpoint.Checkpoint;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The two engines compute the same model, so comparing their speed is comparing like with like: ONNX Runtime's
 * probabilities equal the softmax of DJL's logits on the same inputs, for batches of changing size on one session.
 */
class EnginesAgreeTest {
    @Test
    void ortProbabilitiesAreTheSoftmaxOfDjlLogits() {
        TestModels.Model model = TestModels.resnet18(64);
        Checkpoint c = Checkpoint.read(model.checkpoint());
        BenchEngine ort = OrtEngine.of(model.onnx(), 3, 64, 64);
        BenchEngine djl = DjlEngine.of(c.network(), c.weights(), 64, 64);
        assertThat(ort.version()).isNotBlank();
        assertThat(djl.version()).startsWith("DJL ").contains("PyTorch");
        try (BenchSession o = ort.open("cpu", 1); BenchSession d = djl.open("cpu", 1)) {
            assertThat(o.device()).isEqualTo("cpu");
            assertThat(d.device()).isEqualTo("cpu");
            for (int n : new int[] {3, 1, 2}) {
                float[] x = input(n * 3 * 64 * 64, n);
                float[] p = o.run(x, n);
                float[] logits = d.run(x, n);
                assertThat(p).hasSize(n * 3);
                assertThat(logits).hasSize(n * 3);
                float[] q = softmaxRows(logits, 3);
                double max = 0;
                for (int i = 0; i < p.length; i++) {
                    max = Math.max(max, Math.abs(p[i] - q[i]));
                }
                assertThat(max).as("batch %d: %s vs %s", n, Arrays.toString(p), Arrays.toString(q)).isLessThan(1e-4);
            }
        }
    }

    @Test
    void aDjlSessionGivesPyTorchsThreadCountBackWhenItCloses() {
        TestModels.Model model = TestModels.resnet18(64);
        Checkpoint c = Checkpoint.read(model.checkpoint());
        BenchEngine djl = DjlEngine.of(c.network(), c.weights(), 64, 64);
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library the thread count lives in
        int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        int asked = before == 1 ? 2 : 1;
        try (BenchSession d = djl.open("cpu", asked)) {
            assertThat(ai.djl.pytorch.jni.JniUtils.getNumThreads()).isEqualTo(asked);
        }
        assertThat(ai.djl.pytorch.jni.JniUtils.getNumThreads()).as("training after a benchmark keeps its threads")
            .isEqualTo(before);
    }

    @Test
    void cudaIsUnavailableWithTheReason() {
        TestModels.Model model = TestModels.resnet18(64);
        BenchEngine ort = OrtEngine.of(model.onnx(), 3, 64, 64);
        org.junit.jupiter.api.Assumptions.assumeFalse(
            ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA),
            "this ONNX Runtime has CUDA");
        assertThatThrownBy(() -> ort.open("cuda:0", 1)).isInstanceOf(EngineUnavailableException.class)
            .hasMessageContaining("has no CUDA provider");
    }

    private static float[] input(int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static float[] softmaxRows(float[] logits, int k) {
        float[] out = new float[logits.length];
        for (int row = 0; row < logits.length / k; row++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, logits[row * k + j]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(logits[row * k + j] - max);
            }
            for (int j = 0; j < k; j++) {
                out[row * k + j] = (float) (Math.exp(logits[row * k + j] - max) / sum);
            }
        }
        return out;
    }
}
