package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL's evaluation forward of the mobile networks against PyTorch's own torchvision modules, on random weights whose
 * BatchNorms are far from the identity: the body ({@code model.features(x)}) and the whole network's logits.
 *
 * <p>One Python run builds all four torchvision models, loads the weights Java wrote (torchvision's names, F32
 * safetensors), and writes back their outputs on the same input. Skips where python3-torch is not installed.
 */
class MobileTorchReferenceTest {
    private static final List<String> ARCHS = List.of("mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
        "efficientnet_b0");
    private static final int CLASSES = 10;
    private static final int N = 2;
    private static final int SIZE = 224;
    private static final double TOLERANCE = 1e-4;

    @BeforeAll
    static void needsTorch() {
        dev.graft.models.testing.Fixtures.requireTool(TorchOracle.available(), "python3-torch / python3-torchvision not installed");
    }

    @Test
    void djlMatchesTorchvisionOnRandomWeightsWithNonTrivialBatchNorm(@TempDir Path dir) throws Exception {
        float[] x = gaussian(new Random(7), N * 3 * SIZE * SIZE, 1.0);
        SafeTensors.write(dir.resolve("input.safetensors"), Map.of("x", Tensor.ofFloats(new long[] {N, 3, SIZE, SIZE}, x)),
            Map.of());
        Map<String, Map<String, Tensor>> weights = new LinkedHashMap<>();
        for (String arch : ARCHS) {
            Network whole = VisionModel.torchvision(arch, CLASSES);
            weights.put(arch, randomWeights(whole, arch.hashCode()));
            SafeTensors.write(dir.resolve(arch + ".safetensors"), weights.get(arch), Map.of());
        }
        String script = String.join("\n",
            "import torchvision",
            "torch.set_grad_enabled(False)",
            "d = '" + dir.toString().replace("\\", "/").replace("'", "\\'") + "'",
            "x = read(d + '/input.safetensors')['x']",
            "out = {}",
            "for arch in ['" + String.join("', '", ARCHS) + "']:",
            "    m = getattr(torchvision.models, arch)(num_classes=" + CLASSES + ").eval()",
            "    m.load_state_dict(read(d + '/' + arch + '.safetensors'), strict=True)",
            "    out[arch + '.features'] = m.features(x)",
            "    out[arch + '.logits'] = m(x)",
            "write(d + '/torch.safetensors', out)",
            "print('ok')");
        TorchOracle.Result r = TorchOracle.script(script, 300);
        assertThat(r.exitCode()).as(r.output()).isZero();

        try (TensorFile torch = SafeTensors.open(dir.resolve("torch.safetensors"))) {
            for (String arch : ARCHS) {
                Network whole = VisionModel.torchvision(arch, CLASSES);
                // the body alone: torchvision's features, no head
                Network body = VisionModel.builder().setArch(arch).setClasses(1).optCustomHead(List.of()).build();
                Map<String, Tensor> bodyWeights = new LinkedHashMap<>();
                body.params().keySet().forEach(k -> bodyWeights.put(k, weights.get(arch).get(k)));

                float[] features = forward(body, bodyWeights, x);
                float[] logits = forward(whole, weights.get(arch), x);
                double featureDiff = maxAbsDiff(features, torch.get(arch + ".features").toFloatArray());
                double logitDiff = maxAbsDiff(logits, torch.get(arch + ".logits").toFloatArray());
                System.out.printf("%s vs torchvision: features max |diff| %.3g (max |value| %.3g), logits max |diff| %.3g"
                    + " (max |value| %.3g)%n", arch, featureDiff, maxAbs(features), logitDiff, maxAbs(logits));
                assertThat(features).hasSize(N * (int) torch.get(arch + ".features").shape()[1] * 7 * 7);
                assertThat(featureDiff).as(arch + " features").isLessThanOrEqualTo(TOLERANCE);
                assertThat(logitDiff).as(arch + " logits").isLessThanOrEqualTo(TOLERANCE);
                // the outputs are far from zero, so the tolerance is a real bound
                assertThat(maxAbs(features)).isGreaterThan(0.5);
                assertThat(maxAbs(logits)).isGreaterThan(0.01);
            }
        }
    }

    private static float[] forward(Network net, Map<String, Tensor> weights, float[] x) {
        try (InferenceModel model = InferenceModel.load(net, weights, SIZE, SIZE)) {
            return model.forward(x, N, 3, SIZE, SIZE);
        }
    }

    /**
     * torchvision-style weights with BatchNorm gamma U(0.5, 1.5), beta U(-0.2, 0.2), mean N(0, 0.3), var U(0.3, 2),
     * squeeze-and-excitation biases N(0, 0.1) and a classifier of PyTorch's default scale (torchvision's N(0, 0.01)
     * would shrink the logits towards zero and hide differences).
     */
    static Map<String, Tensor> randomWeights(Network net, long seed) {
        Map<String, Tensor> w = new LinkedHashMap<>(Initializer.init(net, seed));
        Random r = new Random(seed);
        for (Node n : net.nodes()) {
            if (n.layer() instanceof Layer.BatchNorm bn) {
                int c = bn.features();
                w.put(n.id() + ".weight", uniform(r, c, 0.5, 1.5));
                w.put(n.id() + ".bias", uniform(r, c, -0.2, 0.2));
                w.put(n.id() + ".running_mean", Tensor.ofFloats(new long[] {c}, gaussian(r, c, 0.3)));
                w.put(n.id() + ".running_var", uniform(r, c, 0.3, 2.0));
            } else if (n.layer() instanceof Layer.Conv2d conv && conv.bias()) {
                w.put(n.id() + ".bias", Tensor.ofFloats(new long[] {conv.out()}, gaussian(r, conv.out(), 0.1)));
            } else if (n.layer() instanceof Layer.Linear lin) {
                double bound = 1 / Math.sqrt(lin.in());
                w.put(n.id() + ".weight", Tensor.ofFloats(new long[] {lin.out(), lin.in()},
                    uniform(r, lin.out() * lin.in(), -bound, bound).toFloatArray()));
                w.put(n.id() + ".bias", uniform(r, lin.out(), -bound, bound));
            }
        }
        return w;
    }

    private static Tensor uniform(Random r, int c, double low, double high) {
        float[] v = new float[c];
        for (int i = 0; i < c; i++) {
            v[i] = (float) (low + r.nextDouble() * (high - low));
        }
        return Tensor.ofFloats(new long[] {c}, v);
    }

    private static float[] gaussian(Random r, int count, double std) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(max, d);
        }
        return max;
    }

    private static double maxAbs(float[] a) {
        double max = 0;
        for (float v : a) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
