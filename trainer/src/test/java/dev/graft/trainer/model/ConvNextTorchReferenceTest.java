package dev.graft.trainer.model;

import static dev.graft.trainer.model.ConvNextLayersTorchTest.doubles;
import static dev.graft.trainer.model.ConvNextLayersTorchTest.gaussian;
import static dev.graft.trainer.model.ConvNextLayersTorchTest.maxAbs;
import static dev.graft.trainer.model.ConvNextLayersTorchTest.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.models.arch.Architecture;
import dev.graft.models.arch.Child;
import dev.graft.models.arch.ConvNeXt;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import dev.graft.models.spec.Shapes;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole ConvNeXts in DJL against torchvision's {@code ConvNeXt} with the same weights: the evaluation forward of the
 * real convnext_tiny (at 32 px, where its 28.6 million parameters run in a second) and of a narrowed one built by
 * torchvision from a matching {@code block_setting}, in float32 and float64 ({@link InferenceModel#loadFloat64}); and
 * one training step of the narrowed body (output and the gradient of every parameter for a fixed random loss
 * {@code sum(features * R)}) in both precisions. Stochastic depth is random in training, so both sides set it to 0
 * for the step ({@code NetworkBlockMobileLayersTest} tests it on its own).
 *
 * <p>Weights are far from torchvision's initialisation, which would hide most of the network: its layer scale of
 * 1e-6 leaves every residual branch silent, so here the scales are U(0.5, 1.5), the layer-norm gains U(0.5, 1.5) and
 * shifts N(0, 0.1), and convolution and linear weights have PyTorch's default scale (1 / sqrt(fan_in)).
 *
 * <p>Tolerances are on each tensor's own scale (max |diff| / max |torch|). Float64: 1e-10 (both engines compute in
 * double; measured 2e-15 to 6e-15). Float32: 1e-5 for the outputs and 1e-4 for the gradients, where the measurements
 * (printed) were up to 1.4e-6 and 2.5e-6 on a 2-core x86 machine: the two engines (libtorch 2.7 here, Debian's 1.13
 * there) sum in different orders, which the processor can change, hence the margin. Both bounds still catch a wrong
 * layer: the tanh form of GELU alone moves these networks' logits by 2.6e-4 (narrowed) to 5.7e-4 (convnext_tiny) of
 * their scale (measured in PyTorch on weights drawn as here).
 */
class ConvNextTorchReferenceTest {
    private static final int CLASSES = 10;
    private static final int N = 2;
    private static final int[] WIDTHS = {96, 192, 384, 768};
    private static final int DIVISOR = 4;
    private static final int BLOCKS = 2;

    @BeforeAll
    static void needsTorch() {
        dev.graft.models.testing.Fixtures.requireTool(TorchOracle.available(),
            "python3-torch / python3-torchvision not installed");
    }

    /** torchvision's ConvNeXt with the narrowed network's widths and depths (full depths above 2 blocks cut to 2). */
    private static String torchNarrowed(String classes) {
        StringBuilder cfg = new StringBuilder("[");
        for (int s = 0; s < 4; s++) {
            cfg.append("CNBlockConfig(").append(WIDTHS[s] / DIVISOR).append(", ")
                .append(s < 3 ? String.valueOf(WIDTHS[s + 1] / DIVISOR) : "None").append(", ").append(BLOCKS)
                .append("), ");
        }
        return "ConvNeXt(" + cfg + "], stochastic_depth_prob=0.1, num_classes=" + classes + ")";
    }

    @Test
    void evaluationForwardMatchesTorchvisionInFloat32AndFloat64(@TempDir Path dir) throws Exception {
        Map<String, Architecture> archs = new LinkedHashMap<>();
        archs.put("tiny", ConvNeXt.tiny());
        archs.put("narrow", ConvNeXt.tiny().narrowed(DIVISOR, BLOCKS));
        Map<String, Integer> sizes = Map.of("tiny", 32, "narrow", 64);
        Map<String, Map<String, Tensor>> weights = new LinkedHashMap<>();
        Map<String, float[]> inputs = new LinkedHashMap<>();
        Random r = new Random(3);
        for (Map.Entry<String, Architecture> e : archs.entrySet()) {
            Network whole = whole(e.getValue());
            weights.put(e.getKey(), randomWeights(whole, e.getKey().hashCode()));
            SafeTensors.write(dir.resolve(e.getKey() + ".safetensors"), weights.get(e.getKey()), Map.of());
            int size = sizes.get(e.getKey());
            inputs.put(e.getKey(), gaussian(r, N * 3 * size * size));
            SafeTensors.write(dir.resolve(e.getKey() + "-x.safetensors"),
                Map.of("x", Tensor.ofFloats(new long[] {N, 3, size, size}, inputs.get(e.getKey()))), Map.of());
        }
        String script = String.join("\n",
            "import torchvision",
            "from torchvision.models.convnext import ConvNeXt, CNBlockConfig",
            TorchOracle.WRITE64,
            "torch.set_grad_enabled(False)",
            "d = '" + path(dir) + "'",
            "out = {}",
            "for name, make in [('tiny', lambda: torchvision.models.convnext_tiny(num_classes=" + CLASSES + ")),",
            "                   ('narrow', lambda: " + torchNarrowed(String.valueOf(CLASSES)) + ")]:",
            "    m = make().eval()",
            "    m.load_state_dict(read(d + '/' + name + '.safetensors'), strict=True)",
            "    x = read(d + '/' + name + '-x.safetensors')['x']",
            "    for dt, p in [(torch.float32, 'f32'), (torch.float64, 'f64')]:",
            "        m = m.to(dt)",
            "        out[name + '/' + p + '/features'] = m.features(x.to(dt))",
            "        out[name + '/' + p + '/logits'] = m(x.to(dt))",
            "write64(d + '/torch.safetensors', out)",
            "print('ok')");
        TorchOracle.Result result = TorchOracle.script(script, 300);
        assertThat(result.exitCode()).as(result.output()).isZero();

        try (TensorFile torch = SafeTensors.open(dir.resolve("torch.safetensors"))) {
            for (Map.Entry<String, Architecture> e : archs.entrySet()) {
                String name = e.getKey();
                int size = sizes.get(name);
                Network whole = whole(e.getValue());
                Network body = VisionModel.builder().setArch(e.getValue()).setClasses(1).optCustomHead(List.of()).build();
                Map<String, Tensor> bodyWeights = new LinkedHashMap<>();
                body.params().keySet().forEach(k -> bodyWeights.put(k, weights.get(name).get(k)));
                float[] x = inputs.get(name);
                for (boolean f64 : new boolean[] {false, true}) {
                    String p = f64 ? "f64" : "f32";
                    double[] features = forward(body, bodyWeights, x, size, f64);
                    double[] logits = forward(whole, weights.get(name), x, size, f64);
                    double[] tf = doubles(torch.get(name + "/" + p + "/features"));
                    double[] tl = doubles(torch.get(name + "/" + p + "/logits"));
                    double fd = maxAbsDiff(features, tf) / maxAbs(tf);
                    double ld = maxAbsDiff(logits, tl) / maxAbs(tl);
                    System.out.printf("%s (%s) %s vs torchvision: features %.3g of %.3g, logits %.3g of %.3g%n",
                        e.getValue().name(), p, size + " px", fd, maxAbs(tf), ld, maxAbs(tl));
                    assertThat(maxAbs(tf)).isGreaterThan(0.5);
                    assertThat(maxAbs(tl)).isGreaterThan(0.1);
                    double tolerance = f64 ? 1e-10 : 1e-5;
                    assertThat(fd).as(name + " " + p + " features").isLessThanOrEqualTo(tolerance);
                    assertThat(ld).as(name + " " + p + " logits").isLessThanOrEqualTo(tolerance);
                }
            }
        }
    }

    @Test
    void oneTrainingStepOfTheNarrowedBodyMatchesPytorchInFloat32AndFloat64(@TempDir Path dir) throws Exception {
        Architecture narrow = ConvNeXt.tiny().narrowed(DIVISOR, BLOCKS);
        int size = 64;
        Network body = withoutStochasticDepth(
            VisionModel.builder().setArch(narrow).setClasses(1).optCustomHead(List.of()).build());
        Map<String, Tensor> all = randomWeights(whole(narrow), 17);
        Map<String, Tensor> w = new LinkedHashMap<>();
        body.params().keySet().forEach(k -> w.put(k, all.get(k)));
        Random r = new Random(5);
        float[] x = gaussian(r, N * 3 * size * size);
        int[] shape = Shapes.infer(body, size, size).get(body.bodyEnd());
        float[] proj = gaussian(r, N * shape[0] * shape[1] * shape[2]);
        Map<String, Tensor> file = new LinkedHashMap<>();
        w.forEach((k, t) -> file.put(k.substring("features.".length()), t));
        file.put("__r", Tensor.ofFloats(new long[] {N, shape[0], shape[1], shape[2]}, proj));
        file.put("__x", Tensor.ofFloats(new long[] {N, 3, size, size}, x));
        SafeTensors.write(dir.resolve("in.safetensors"), file, Map.of());
        String script = String.join("\n",
            "from torchvision.models.convnext import ConvNeXt, CNBlockConfig",
            "from torchvision.ops import StochasticDepth",
            TorchOracle.WRITE64,
            "d = '" + path(dir) + "'",
            "w = read(d + '/in.safetensors')",
            "r, x = w.pop('__r'), w.pop('__x')",
            "out = {}",
            "for dt, p in [(torch.float32, 'f32'), (torch.float64, 'f64')]:",
            "    f = " + torchNarrowed("1") + ".features.train()",
            "    for mod in f.modules():",
            "        if isinstance(mod, StochasticDepth):",
            "            mod.p = 0.0",
            "    f.load_state_dict(w, strict=True)",
            "    f = f.to(dt)",
            "    y = f(x.to(dt))",
            "    (y * r.to(dt)).sum().backward()",
            "    out[p + '/y'] = y",
            "    for k, q in f.named_parameters():",
            "        out[p + '/grad/features.' + k] = q.grad",
            "write64(d + '/torch.safetensors', out)",
            "print('ok')");
        TorchOracle.Result result = TorchOracle.script(script, 300);
        assertThat(result.exitCode()).as(result.output()).isZero();

        try (TensorFile torch = SafeTensors.open(dir.resolve("torch.safetensors"))) {
            for (DataType dtype : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
                String p = dtype == DataType.FLOAT64 ? "f64" : "f32";
                NetworkBlock block = new NetworkBlock(body);
                Map<String, double[]> grads = new LinkedHashMap<>();
                double[] y;
                try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                    block.initialize(manager, dtype, new Shape(N, 3, size, size));
                    block.loadWeights(w);
                    try (NDManager batch = manager.newSubManager();
                         GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray in = batch.create(x, new Shape(N, 3, size, size)).toType(dtype, false);
                        NDArray out = block.forward(new ParameterStore(batch, false), new NDList(in), true)
                            .singletonOrThrow();
                        NDArray rr = batch.create(proj, out.getShape()).toType(dtype, false);
                        gc.backward(out.mul(rr).sum());
                        y = doubles(out);
                    }
                    for (Map.Entry<String, Param> e : body.params().entrySet()) {
                        if (e.getValue().learnable()) {
                            grads.put(e.getKey(), doubles(block.parameter(e.getKey()).getArray().getGradient()));
                        }
                    }
                }
                double[] ty = doubles(torch.get(p + "/y"));
                double yDiff = maxAbsDiff(y, ty) / maxAbs(ty);
                double worst = 0;
                String worstName = "";
                List<String> kinds = new ArrayList<>();
                for (Map.Entry<String, double[]> e : grads.entrySet()) {
                    double[] theirs = doubles(torch.get(p + "/grad/" + e.getKey()));
                    assertThat(maxAbs(theirs)).as(e.getKey() + " has a gradient").isGreaterThan(0);
                    double d = maxAbsDiff(e.getValue(), theirs) / maxAbs(theirs);
                    if (d > worst) {
                        worst = d;
                        worstName = e.getKey();
                    }
                    String kind = body.node(e.getKey().substring(0, e.getKey().lastIndexOf('.'))).layer().kind();
                    if (!kinds.contains(kind)) {
                        kinds.add(kind);
                    }
                }
                System.out.printf("%s training step (%s) vs PyTorch: output %.3g, %d gradients (kinds %s) worst %.3g"
                    + " (%s), each on its own scale%n", narrow.name(), p, yDiff, grads.size(), kinds, worst, worstName);
                assertThat(kinds).contains("layer_norm2d", "channel_linear", "layer_scale", "conv2d");
                assertThat(yDiff).as(p + " output").isLessThanOrEqualTo(dtype == DataType.FLOAT64 ? 1e-10 : 1e-5);
                assertThat(worst).as(p + " gradient of " + worstName)
                    .isLessThanOrEqualTo(dtype == DataType.FLOAT64 ? 1e-10 : 1e-4);
            }
        }
    }

    private static String path(Path dir) {
        return dir.toString().replace("\\", "/").replace("'", "\\'");
    }

    private static double[] forward(Network net, Map<String, Tensor> weights, float[] x, int size, boolean f64) {
        try (InferenceModel model = f64 ? InferenceModel.loadFloat64(net, weights, size, size)
            : InferenceModel.load(net, weights, size, size)) {
            if (f64) {
                return model.forwardFloat64(x, N, 3, size, size);
            }
            float[] y = model.forward(x, N, 3, size, size);
            double[] out = new double[y.length];
            for (int i = 0; i < y.length; i++) {
                out[i] = y[i];
            }
            return out;
        }
    }

    /** The torchvision network itself (features, avgpool, classifier) for an architecture, narrowed or not. */
    static Network whole(Architecture a) {
        Network.Builder b = Network.builder().arch(a.name());
        List<String> names = new ArrayList<>();
        for (Child c : a.children(3, CLASSES)) {
            b.addAll(c.nodes());
            names.add(c.name());
        }
        return b.group("all", names.toArray(String[]::new)).build();
    }

    /**
     * Weights away from torchvision's initialisation: layer scales and layer-norm gains U(0.5, 1.5), layer-norm
     * shifts N(0, 0.1), convolution and linear weights N(0, 1 / fan_in), their biases N(0, 0.1).
     */
    static Map<String, Tensor> randomWeights(Network net, long seed) {
        Map<String, Tensor> w = new LinkedHashMap<>(Initializer.init(net, seed));
        Random r = new Random(seed);
        for (Node n : net.nodes()) {
            for (Param p : n.layer().params()) {
                long[] shape = p.shapeArray();
                int size = (int) p.size();
                double fanIn = 1;
                if (n.layer() instanceof Layer.Conv2d c) {
                    fanIn = (double) c.in() / c.groups() * c.kernelH() * c.kernelW();
                } else if (n.layer() instanceof Layer.ChannelLinear l) {
                    fanIn = l.in();
                } else if (n.layer() instanceof Layer.Linear l) {
                    fanIn = l.in();
                }
                boolean gain = n.layer() instanceof Layer.LayerScale
                    || n.layer() instanceof Layer.LayerNorm2d && p.name().equals("weight");
                float[] v = new float[size];
                for (int i = 0; i < size; i++) {
                    v[i] = (float) (gain ? 0.5 + r.nextDouble()
                        : p.name().equals("weight") ? r.nextGaussian() / Math.sqrt(fanIn) : 0.1 * r.nextGaussian());
                }
                w.put(n.paramName(p), Tensor.ofFloats(shape, v));
            }
        }
        return w;
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
}
