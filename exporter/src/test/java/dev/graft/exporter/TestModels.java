package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Networks, weights and inputs shared by the exporter's tests. */
final class TestModels {
    private TestModels() {
    }

    static Network resnet(String arch, int classes, HeadOptions head) {
        return VisionModel.builder().setArch(arch).setClasses(classes).optHead(head).build();
    }

    static Network resnet18() {
        return resnet("resnet18", 3, HeadOptions.defaults());
    }

    /**
     * Seeded random weights whose BatchNorms are not the identity: {@code Initializer} gives gamma 1, beta 0, mean 0,
     * var 1, which would let a fold that ignores the statistics pass. Gamma U(0.5, 1.5), beta U(-0.2, 0.2), mean
     * N(0, 0.3), var U(0.3, 2). ConvNeXt's parts likewise: {@code Initializer} gives layer norms weight 1 and bias 0,
     * biases 0 and layer scales 1e-6, which would leave every block invisible; here layer norm weight U(0.5, 1.5) and
     * bias U(-0.2, 0.2), layer scale log-uniform in [0.1, 1] (a trained ConvNeXt's range), biases U(-0.1, 0.1).
     */
    static Map<String, Tensor> randomWeights(Network net, long seed) {
        Map<String, Tensor> w = new LinkedHashMap<>(Initializer.init(net, seed));
        Random r = new Random(seed ^ 0x5DEECE66DL);
        for (Node n : net.nodes()) {
            if (n.layer() instanceof Layer.BatchNorm bn) {
                int c = bn.features();
                w.put(n.id() + ".weight", vector(c, r, 0.5, 1.5));
                w.put(n.id() + ".bias", vector(c, r, -0.2, 0.2));
                float[] mean = new float[c];
                for (int i = 0; i < c; i++) {
                    mean[i] = (float) (r.nextGaussian() * 0.3);
                }
                w.put(n.id() + ".running_mean", Tensor.ofFloats(new long[] {c}, mean));
                w.put(n.id() + ".running_var", vector(c, r, 0.3, 2.0));
            } else if (n.layer() instanceof Layer.LayerNorm2d ln) {
                w.put(n.id() + ".weight", vector(ln.channels(), r, 0.5, 1.5));
                w.put(n.id() + ".bias", vector(ln.channels(), r, -0.2, 0.2));
            } else if (n.layer() instanceof Layer.LayerScale ls) {
                float[] g = new float[ls.channels()];
                for (int i = 0; i < g.length; i++) {
                    g[i] = (float) Math.exp(Math.log(0.1) + r.nextDouble() * Math.log(10));
                }
                w.put(n.id() + ".layer_scale", Tensor.ofFloats(new long[] {g.length, 1, 1}, g));
            } else if (n.layer() instanceof Layer.ChannelLinear lin && lin.bias()) {
                w.put(n.id() + ".bias", vector(lin.out(), r, -0.1, 0.1));
            } else if (n.layer() instanceof Layer.Conv2d conv && conv.bias() && net.arch().startsWith("convnext")) {
                w.put(n.id() + ".bias", vector(conv.out(), r, -0.1, 0.1));
            }
        }
        return w;
    }

    private static Tensor vector(int c, Random r, double low, double high) {
        float[] v = new float[c];
        for (int i = 0; i < c; i++) {
            v[i] = (float) (low + r.nextDouble() * (high - low));
        }
        return Tensor.ofFloats(new long[] {c}, v);
    }

    static float[] gaussian(long seed, int count) {
        Random r = new Random(seed);
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static ExportOptions.Builder options(Network net, Map<String, Tensor> weights) {
        return ExportOptions.builder().setNetwork(net).setWeights(weights);
    }

    /** Runs a model once on an NCHW batch and returns every output. */
    static Map<String, FloatTensor> run(ModelProto model, OptLevel level, float[] x, int n, int c, int h, int w) {
        try (OrtRunner ort = OrtRunner.open(model, level)) {
            return ort.runAll(GraftMetadata.INPUT_NAME, x, new long[] {n, c, h, w});
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(max, d);
        }
        return max;
    }

    static double maxAbs(float[] a) {
        double max = 0;
        for (float v : a) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    static int[] argmax(float[] rows, int classes) {
        int[] out = new int[rows.length / classes];
        for (int r = 0; r < out.length; r++) {
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (rows[r * classes + k] > rows[r * classes + best]) {
                    best = k;
                }
            }
            out[r] = best;
        }
        return out;
    }
}
