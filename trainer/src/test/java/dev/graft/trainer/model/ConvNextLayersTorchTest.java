package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Param;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ConvNeXt's four layer kinds, each alone, against the torchvision / PyTorch modules a ConvNeXt is built from
 * ({@code LayerNorm2d}, {@code nn.Linear} between the block's permutes, {@code nn.GELU()}, the block's
 * {@code layer_scale} product): the training-mode output and the gradient of a fixed random loss
 * {@code sum(y * R)} with respect to the input and to every parameter, in float32 and in float64.
 *
 * <p>Inputs are far from the easy case: the layer norm sees per-pixel means around 3 and spreads around 2, the GELU
 * inputs reach +-9 (both tails), the layer scale holds negative factors. Both sides start from the same float32
 * values; PyTorch's results come back as F64 safetensors, so the float64 comparison is not limited by a float32 round
 * trip.
 *
 * <p>Tolerances, each difference on the scale of its tensor (max |diff| / max |torch|): float64 1e-12 (the two
 * engines run the same kernels, libtorch 2.7 here and Debian's 1.13 there, whose summation order may differ: a few
 * units of 2^-52 times the 24 to 96 terms of a reduction); float32 1e-5 (the same argument at 2^-24, about 6e-8,
 * times the reductions' length and the layer norm's division by a standard deviation, with margin; measured values
 * are printed).
 */
class ConvNextLayersTorchTest {
    private static final int N = 2;
    private static final int C = 24;
    private static final int H = 5;
    private static final int W = 6;
    private static final double EPS = Layer.LayerNorm2d.CONVNEXT_EPS;

    @TempDir
    static Path dir;

    private static final Map<String, Network> NETS = new LinkedHashMap<>();
    private static final Map<String, Map<String, Tensor>> INPUTS = new LinkedHashMap<>();

    @BeforeAll
    static void runTorch() throws Exception {
        dev.graft.models.testing.Fixtures.requireTool(TorchOracle.available(),
            "python3-torch / python3-torchvision not installed");
        NETS.put("layer_norm2d", single(C, new Layer.LayerNorm2d(C, EPS)));
        NETS.put("channel_linear", single(C, new Layer.ChannelLinear(C, 4 * C, true)));
        NETS.put("gelu", single(C, new Layer.Gelu()));
        NETS.put("layer_scale", single(C, new Layer.LayerScale(C)));
        Random r = new Random(21);
        Map<String, Tensor> file = new LinkedHashMap<>();
        for (Map.Entry<String, Network> e : NETS.entrySet()) {
            String kind = e.getKey();
            Network net = e.getValue();
            Map<String, Tensor> in = new LinkedHashMap<>();
            float[] x = new float[N * C * H * W];
            for (int i = 0; i < x.length; i++) {
                // per-pixel mean ~3, spread ~2 for the layer norm; +-9 tails for GELU
                x[i] = (float) (kind.equals("gelu") ? 3 * r.nextGaussian() : 3 + 2 * r.nextGaussian());
            }
            in.put("x", Tensor.ofFloats(new long[] {N, C, H, W}, x));
            for (Map.Entry<String, Param> p : net.params().entrySet()) {
                in.put(p.getKey(), randomParam(kind, p.getKey(), p.getValue().shapeArray(), r));
            }
            int out = kind.equals("channel_linear") ? 4 * C : C;
            in.put("r", Tensor.ofFloats(new long[] {N, out, H, W}, gaussian(r, N * out * H * W)));
            INPUTS.put(kind, in);
            in.forEach((k, t) -> file.put(kind + "/" + k, t));
        }
        SafeTensors.write(dir.resolve("in.safetensors"), file, Map.of());
        String script = String.join("\n",
            "import torch.nn as nn",
            "from torchvision.models.convnext import LayerNorm2d",
            TorchOracle.WRITE64,
            "class ChannelLinear(nn.Linear):",
            "    def forward(self, x):",
            "        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)",
            "class LayerScale(nn.Module):",
            "    def __init__(self, c):",
            "        super().__init__()",
            "        self.layer_scale = nn.Parameter(torch.ones(c, 1, 1))",
            "    def forward(self, x):",
            "        return self.layer_scale * x",
            "modules = {'layer_norm2d': lambda: LayerNorm2d(" + C + ", eps=" + EPS + "),",
            "           'channel_linear': lambda: ChannelLinear(" + C + ", " + 4 * C + "),",
            "           'gelu': lambda: nn.GELU(), 'layer_scale': lambda: LayerScale(" + C + ")}",
            "d = '" + dir.toString().replace("\\", "/").replace("'", "\\'") + "'",
            "inp = read(d + '/in.safetensors')",
            "out = {}",
            "for dt, name in [(torch.float32, 'f32'), (torch.float64, 'f64')]:",
            "    for kind, make in modules.items():",
            "        m = make().to(dt).train()",
            "        own = {k[len(kind) + 3:]: v for k, v in inp.items() if k.startswith(kind + '/n.')}",
            "        m.load_state_dict(own, strict=True)",
            "        x = inp[kind + '/x'].detach().to(dt).clone().requires_grad_()",
            "        y = m(x)",
            "        (y * inp[kind + '/r'].to(dt)).sum().backward()",
            "        out[name + '/' + kind + '/y'] = y",
            "        out[name + '/' + kind + '/grad/x'] = x.grad",
            "        for k, p in m.named_parameters():",
            "            out[name + '/' + kind + '/grad/n.' + k] = p.grad",
            "write64(d + '/torch.safetensors', out)",
            "print('ok')");
        TorchOracle.Result result = TorchOracle.script(script, 120);
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    @ParameterizedTest(name = "{0} in {1}")
    @CsvSource({
        "layer_norm2d, float32, 1e-5", "layer_norm2d, float64, 1e-12",
        "channel_linear, float32, 1e-5", "channel_linear, float64, 1e-12",
        "gelu, float32, 1e-5", "gelu, float64, 1e-12",
        "layer_scale, float32, 1e-5", "layer_scale, float64, 1e-12",
    })
    void outputAndGradientsArePytorchs(String kind, String precision, double tolerance) {
        DataType dtype = precision.equals("float64") ? DataType.FLOAT64 : DataType.FLOAT32;
        String prefix = (dtype == DataType.FLOAT64 ? "f64/" : "f32/") + kind + "/";
        Network net = NETS.get(kind);
        Map<String, Tensor> in = INPUTS.get(kind);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        net.params().keySet().forEach(k -> weights.put(k, in.get(k)));
        Map<String, double[]> ours = new LinkedHashMap<>();
        NetworkBlock block = new NetworkBlock(net);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            block.initialize(manager, dtype, new Shape(N, C, H, W));
            block.loadWeights(weights);
            try (NDManager batch = manager.newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray x = batch.create(in.get("x").toFloatArray(), new Shape(N, C, H, W)).toType(dtype, false);
                x.setRequiresGradient(true);
                NDArray y = block.forward(new ParameterStore(batch, false), new NDList(x), true).singletonOrThrow();
                assertThat(y.getDataType()).isEqualTo(dtype);
                NDArray r = batch.create(in.get("r").toFloatArray(), y.getShape()).toType(dtype, false);
                gc.backward(y.mul(r).sum());
                ours.put("y", doubles(y));
                ours.put("grad/x", doubles(x.getGradient()));
                for (String p : net.params().keySet()) {
                    ours.put("grad/" + p, doubles(block.parameter(p).getArray().getGradient()));
                }
            }
        }
        try (TensorFile torch = SafeTensors.open(dir.resolve("torch.safetensors"))) {
            for (Map.Entry<String, double[]> e : ours.entrySet()) {
                double[] theirs = doubles(torch.get(prefix + e.getKey()));
                double scale = maxAbs(theirs);
                double diff = maxAbsDiff(e.getValue(), theirs) / scale;
                System.out.printf("%s %s %s vs PyTorch: %.3g of its largest value %.3g%n", kind, precision, e.getKey(),
                    diff, scale);
                assertThat(scale).as(kind + " " + e.getKey() + " is not trivially zero").isGreaterThan(1e-3);
                assertThat(diff).as(kind + " " + precision + " " + e.getKey()).isLessThanOrEqualTo(tolerance);
            }
        }
    }

    private static Network single(int channels, Layer layer) {
        return Network.builder().inputChannels(channels).add("n", layer).group("all", "n").build();
    }

    /** Layer-norm gain U(0.5, 1.5) and shift N(0, 0.3); linear N(0, 1/in) and bias N(0, 0.1); scale U(-1.5, 1.5). */
    private static Tensor randomParam(String kind, String name, long[] shape, Random r) {
        int size = 1;
        for (long d : shape) {
            size *= (int) d;
        }
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) switch (kind) {
                case "layer_norm2d" -> name.endsWith("weight") ? 0.5 + r.nextDouble() : 0.3 * r.nextGaussian();
                case "channel_linear" -> name.endsWith("weight") ? r.nextGaussian() / Math.sqrt(C) : 0.1 * r.nextGaussian();
                default -> 3 * r.nextDouble() - 1.5;
            };
        }
        return Tensor.ofFloats(shape, v);
    }

    static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** An F64 or F32 tensor's values as doubles. */
    static double[] doubles(Tensor t) {
        if (t.dtype() == dev.graft.models.weights.DType.F64) {
            DoubleBuffer b = t.data().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
            double[] out = new double[b.remaining()];
            b.get(out);
            return out;
        }
        float[] f = t.toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    static float[] gaussian(Random r, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    static double maxAbsDiff(double[] a, double[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(max, d);
        }
        return max;
    }

    static double maxAbs(double[] a) {
        double max = 0;
        for (double v : a) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
