package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
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
 * One training step of each mobile body against PyTorch's: the training-mode forward (BatchNorm on batch statistics),
 * the gradient of every parameter for a fixed random loss {@code sum(features * R)}, and the running statistics the
 * step leaves behind. This is what makes the bodies trainable in Graft exactly as in PyTorch, independent of any
 * optimiser or data. Stochastic depth is random in training, so both sides set its probability to 0 here (its
 * training behaviour is tested on its own in {@code NetworkBlockMobileLayersTest}).
 *
 * <p>Both sides compute in float64. In float32 the comparison depended on the CPU: with random weights the gradients
 * reach 10^4, and a ReLU6 input within float rounding of 0 or 6 falls on different sides of the edge in the two
 * engines (their summation orders differ by processor), changing that element's gradient outright and, through the
 * training-mode BatchNorms before it, every gradient upstream (seen on an AMD EPYC: up to 1% of the network's largest
 * gradient). The layers and their gradients are the same operations in either precision.
 */
class MobileTorchTrainingStepTest {
    private static final List<String> ARCHS = List.of("mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
        "efficientnet_b0");
    private static final int N = 4;
    private static final int SIZE = 64;

    @BeforeAll
    static void needsTorch() {
        dev.graft.models.testing.Fixtures.requireTool(TorchOracle.available(), "python3-torch / python3-torchvision not installed");
    }

    @Test
    void gradientsAndRunningStatisticsMatchPytorch(@TempDir Path dir) throws Exception {
        Random r = new Random(11);
        float[] x = gaussian(r, N * 3 * SIZE * SIZE);
        SafeTensors.write(dir.resolve("input.safetensors"), Map.of("x", Tensor.ofFloats(new long[] {N, 3, SIZE, SIZE}, x)),
            Map.of());
        Map<String, Network> bodies = new LinkedHashMap<>();
        Map<String, Map<String, Tensor>> weights = new LinkedHashMap<>();
        Map<String, float[]> projections = new LinkedHashMap<>();
        for (String arch : ARCHS) {
            Network body = withoutStochasticDepth(
                VisionModel.builder().setArch(arch).setClasses(1).optCustomHead(List.of()).build());
            bodies.put(arch, body);
            Map<String, Tensor> w = new LinkedHashMap<>();
            Map<String, Tensor> all = MobileTorchReferenceTest.randomWeights(VisionModel.torchvision(arch, 10), arch.hashCode());
            body.params().keySet().forEach(k -> w.put(k, all.get(k)));
            weights.put(arch, w);
            int[] shape = dev.graft.models.spec.Shapes.infer(body, SIZE, SIZE).get(body.bodyEnd());
            float[] proj = gaussian(r, N * shape[0] * shape[1] * shape[2]);
            projections.put(arch, proj);
            Map<String, Tensor> file = new LinkedHashMap<>();
            w.forEach((k, t) -> file.put(k.substring("features.".length()), t));
            file.put("__r", Tensor.ofFloats(new long[] {N, shape[0], shape[1], shape[2]}, proj));
            SafeTensors.write(dir.resolve(arch + ".safetensors"), file, Map.of());
        }
        String script = String.join("\n",
            "import torchvision",
            "from torchvision.ops import StochasticDepth",
            "d = '" + dir.toString().replace("\\", "/").replace("'", "\\'") + "'",
            "x = read(d + '/input.safetensors')['x']",
            "out = {}",
            "for arch in ['" + String.join("', '", ARCHS) + "']:",
            "    f = getattr(torchvision.models, arch)().features.train().double()",
            "    for mod in f.modules():",
            "        if isinstance(mod, StochasticDepth):",
            "            mod.p = 0.0",
            "    w = read(d + '/' + arch + '.safetensors')",
            "    r = w.pop('__r').double()",
            "    f.load_state_dict(w, strict=True)",
            "    y = f(x.double())",
            "    (y * r).sum().backward()",
            "    out[arch + '/y'] = y",
            "    for k, p in f.named_parameters():",
            "        out[arch + '/grad/features.' + k] = p.grad",
            "    for k, b in f.named_buffers():",
            "        if k.endswith('running_mean') or k.endswith('running_var'):",
            "            out[arch + '/buffer/features.' + k] = b",
            "write(d + '/torch.safetensors', out)",
            "print('ok')");
        TorchOracle.Result result = TorchOracle.script(script, 300);
        assertThat(result.exitCode()).as(result.output()).isZero();

        try (TensorFile torch = SafeTensors.open(dir.resolve("torch.safetensors"))) {
            for (String arch : ARCHS) {
                Network body = bodies.get(arch);
                NetworkBlock block = new NetworkBlock(body);
                try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                    block.initialize(manager, DataType.FLOAT64, new Shape(N, 3, SIZE, SIZE));
                    block.loadWeights(weights.get(arch));
                    float[] y;
                    try (NDManager batch = manager.newSubManager();
                         GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray in = batch.create(x, new Shape(N, 3, SIZE, SIZE)).toType(DataType.FLOAT64, false);
                        NDArray out = block.forward(new ParameterStore(batch, false), new NDList(in), true)
                            .singletonOrThrow();
                        NDArray proj = batch.create(projections.get(arch), out.getShape()).toType(DataType.FLOAT64, false);
                        gc.backward(out.mul(proj).sum());
                        y = out.toType(DataType.FLOAT32, false).toFloatArray();
                    }
                    double yDiff = relDiff(y, torch.get(arch + "/y").toFloatArray());
                    // Gradients: each tensor's difference on its own scale, except where the true gradient is 0: a
                    // BatchNorm bias whose shift the next training-mode BatchNorm removes again (MobileNetV2's
                    // projection BatchNorms) gets float noise from both engines, a millionth of the network's largest
                    // gradient. There both must be that small.
                    Map<String, double[]> grads = new LinkedHashMap<>();
                    double scale = 0;
                    double worstBuffer = 0;
                    for (Map.Entry<String, Param> e : body.params().entrySet()) {
                        Parameter p = block.parameter(e.getKey());
                        if (e.getValue().learnable()) {
                            float[] ours = p.getArray().getGradient().toType(DataType.FLOAT32, false).toFloatArray();
                            float[] theirs = torch.get(arch + "/grad/" + e.getKey()).toFloatArray();
                            double[] d = {maxAbsDiff(ours, theirs), maxAbs(theirs), maxAbs(ours)};
                            grads.put(e.getKey(), d);
                            scale = Math.max(scale, d[1]);
                        } else {
                            float[] b = p.getArray().toType(DataType.FLOAT32, false).toFloatArray();
                            float[] theirs = torch.get(arch + "/buffer/" + e.getKey()).toFloatArray();
                            worstBuffer = Math.max(worstBuffer, maxAbsDiff(b, theirs) / maxAbs(theirs));
                        }
                    }
                    double worstGrad = 0;
                    String worstName = "";
                    int vanishing = 0;
                    double worstOnNetworkScale = 0;
                    List<String> offOwnScale = new java.util.ArrayList<>();
                    for (Map.Entry<String, double[]> e : grads.entrySet()) {
                        double[] d = e.getValue();
                        if (d[1] < 1e-6 * scale) {
                            vanishing++;
                            assertThat(d[2]).as(arch + " vanishing gradient of " + e.getKey()).isLessThan(1e-6 * scale);
                            continue;
                        }
                        worstOnNetworkScale = Math.max(worstOnNetworkScale, d[0] / scale);
                        if (d[0] / d[1] > 1e-3) {
                            // ReLU6 (MobileNetV2) clamps at 0 and 6: an input within float rounding of an edge may fall
                            // on either side in the two engines, whose summation order differs by CPU, and that
                            // element's gradient then differs outright and spreads to the layers before it, on the
                            // scale of that one element. Such tensors are counted, and must stay few and small on the
                            // network's scale; a wrong layer would be off on its own scale everywhere.
                            offOwnScale.add(e.getKey());
                            continue;
                        }
                        if (d[0] / d[1] > worstGrad) {
                            worstGrad = d[0] / d[1];
                            worstName = e.getKey();
                        }
                    }
                    System.out.printf("%s training step vs PyTorch: output %.2g, %d gradients worst %.2g (%s), %d"
                        + " vanishing; running statistics worst %.2g (each relative to its tensor's largest value)%n",
                        arch, yDiff, grads.size(), worstGrad, worstName, vanishing, worstBuffer);
                    assertThat(yDiff).as(arch + " output").isLessThanOrEqualTo(1e-6);
                    System.out.printf("%s: %d gradients off by more than 1e-3 on their own scale (%s), worst %.2g on the"
                        + " network's%n", arch, offOwnScale.size(), offOwnScale, worstOnNetworkScale);
                    assertThat(worstGrad).as(arch + " gradient of " + worstName).isLessThanOrEqualTo(1e-5);
                    assertThat(offOwnScale.size()).as(arch + " gradients off on their own scale: " + offOwnScale)
                        .isLessThanOrEqualTo(grads.size() / 10);
                    assertThat(worstOnNetworkScale).as(arch + " gradients on the network's scale").isLessThanOrEqualTo(1e-3);
                    assertThat(worstBuffer).as(arch + " running statistics").isLessThanOrEqualTo(1e-6);
                }
            }
        }
    }

    /** The same network with every stochastic depth at probability 0 (deterministic in training). */
    private static Network withoutStochasticDepth(Network net) {
        Network.Builder b = net.toBuilder().clearNodes();
        for (Node n : net.nodes()) {
            b.add(n.layer() instanceof Layer.StochasticDepth
                ? new Node(n.id(), Layer.StochasticDepth.row(0), n.inputs()) : n);
        }
        return b.build();
    }

    /** max |a - b| over max |b|: the difference on the scale of the tensor. */
    private static double relDiff(float[] a, float[] b) {
        double scale = maxAbs(b);
        return scale == 0 ? maxAbsDiff(a, b) : maxAbsDiff(a, b) / scale;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            diff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(diff, d);
        }
        return diff;
    }

    private static double maxAbs(float[] a) {
        double max = 0;
        for (float v : a) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    private static float[] gaussian(Random r, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
