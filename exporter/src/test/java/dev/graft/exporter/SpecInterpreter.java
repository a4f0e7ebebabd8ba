package dev.graft.exporter;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.weights.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * The network spec executed in plain Java, in double precision, straight from the layer definitions (PyTorch's
 * semantics): an oracle for the exporter that shares no code with it, and the {@link ReferenceForward} the tests use
 * where the trainer would supply DJL's. Slow and obvious on purpose; fine for small images.
 */
final class SpecInterpreter implements ReferenceForward {
    private final Network net;
    private final Map<String, double[]> weights = new HashMap<>();

    SpecInterpreter(Network net, Map<String, Tensor> tensors) {
        this.net = net;
        net.params().keySet().forEach(k -> {
            float[] f = tensors.get(k).toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            weights.put(k, d);
        });
    }

    /** A tensor: values and shape {@code [n, c, h, w]} or {@code [n, f]}. */
    private record T(double[] v, int[] s) {
        int n() {
            return s[0];
        }

        int c() {
            return s[1];
        }

        int h() {
            return s.length == 4 ? s[2] : 1;
        }

        int w() {
            return s.length == 4 ? s[3] : 1;
        }
    }

    @Override
    public float[] forward(float[] nchw, int n, int c, int h, int w) {
        double[] x = new double[nchw.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = nchw[i];
        }
        Map<String, T> values = new HashMap<>();
        values.put(Network.INPUT, new T(x, new int[] {n, c, h, w}));
        for (Node node : net.nodes()) {
            values.put(node.id(), apply(node, values));
        }
        double[] out = values.get(net.output().id()).v();
        float[] f = new float[out.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) out[i];
        }
        return f;
    }

    private double[] p(Node n, String name) {
        return weights.get(n.id() + "." + name);
    }

    private T apply(Node node, Map<String, T> values) {
        return node.layer().accept(new Apply(node, values));
    }

    /** One node in double precision. */
    private final class Apply implements Layer.Visitor<T> {
        private final Node node;
        private final Map<String, T> values;
        private final T x;

        Apply(Node node, Map<String, T> values) {
            this.node = node;
            this.values = values;
            this.x = values.get(node.inputs().get(0));
        }

        @Override
        public T conv2d(Layer.Conv2d c) {
            return conv(x, c, p(node, "weight"), c.bias() ? p(node, "bias") : null);
        }

        @Override
        public T batchNorm(Layer.BatchNorm bn) {
            double[] g = p(node, "weight");
            double[] b = p(node, "bias");
            double[] m = p(node, "running_mean");
            double[] var = p(node, "running_var");
            int plane = x.h() * x.w();
            double[] y = new double[x.v().length];
            for (int i = 0; i < y.length; i++) {
                int ch = (i / plane) % x.c();
                y[i] = (x.v()[i] - m[ch]) / Math.sqrt(var[ch] + bn.eps()) * g[ch] + b[ch];
            }
            return new T(y, x.s());
        }

        @Override
        public T relu(Layer.Relu l) {
            double[] y = x.v().clone();
            for (int i = 0; i < y.length; i++) {
                y[i] = Math.max(0, y[i]);
            }
            return new T(y, x.s());
        }

        @Override
        public T maxPool(Layer.MaxPool mp) {
            return SpecInterpreter.maxPool(x, mp);
        }

        @Override
        public T add(Layer.Add l) {
            double[] y = x.v().clone();
            for (int k = 1; k < node.inputs().size(); k++) {
                double[] other = values.get(node.inputs().get(k)).v();
                for (int i = 0; i < y.length; i++) {
                    y[i] += other[i];
                }
            }
            return new T(y, x.s());
        }

        @Override
        public T avgPool2d(Layer.AvgPool2d l) {
            return SpecInterpreter.avgPool2d(x, l);
        }

        @Override
        public T concat(Layer.Concat l) {
            int channels = 0;
            for (String input : node.inputs()) {
                channels += values.get(input).c();
            }
            int plane = x.h() * x.w();
            double[] y = new double[x.n() * channels * plane];
            for (int b = 0; b < x.n(); b++) {
                int offset = b * channels * plane;
                for (String input : node.inputs()) {
                    T one = values.get(input);
                    int len = one.c() * plane;
                    System.arraycopy(one.v(), b * len, y, offset, len);
                    offset += len;
                }
            }
            return new T(y, new int[] {x.n(), channels, x.h(), x.w()});
        }

        @Override
        public T concatPool(Layer.ConcatPool l) {
            T max = globalPool(x, true);
            T avg = globalPool(x, false);
            double[] y = new double[x.n() * x.c() * 2];
            for (int b = 0; b < x.n(); b++) {
                System.arraycopy(max.v(), b * x.c(), y, b * 2 * x.c(), x.c());
                System.arraycopy(avg.v(), b * x.c(), y, b * 2 * x.c() + x.c(), x.c());
            }
            return new T(y, new int[] {x.n(), 2 * x.c(), 1, 1});
        }

        @Override
        public T avgPool(Layer.AvgPool l) {
            return globalPool(x, false);
        }

        @Override
        public T flatten(Layer.Flatten l) {
            return new T(x.v(), new int[] {x.n(), x.v().length / x.n()});
        }

        @Override
        public T dropout(Layer.Dropout l) {
            return x;
        }

        @Override
        public T linear(Layer.Linear lin) {
            double[] w = p(node, "weight");
            double[] b = lin.bias() ? p(node, "bias") : null;
            double[] y = new double[x.n() * lin.out()];
            for (int r = 0; r < x.n(); r++) {
                for (int o = 0; o < lin.out(); o++) {
                    double sum = b == null ? 0 : b[o];
                    for (int i = 0; i < lin.in(); i++) {
                        sum += x.v()[r * lin.in() + i] * w[o * lin.in() + i];
                    }
                    y[r * lin.out() + o] = sum;
                }
            }
            return new T(y, new int[] {x.n(), lin.out()});
        }

        @Override
        public T sigmoidRange(Layer.SigmoidRange r) {
            double[] y = new double[x.v().length];
            for (int i = 0; i < y.length; i++) {
                y[i] = 1 / (1 + Math.exp(-x.v()[i])) * (r.high() - r.low()) + r.low();
            }
            return new T(y, x.s());
        }

        @Override
        public T relu6(Layer.Relu6 l) {
            return map(x, v -> Math.min(Math.max(v, 0), 6));
        }

        @Override
        public T hardsigmoid(Layer.Hardsigmoid l) {
            return map(x, v -> Math.min(Math.max(v + 3, 0), 6) / 6);
        }

        @Override
        public T hardswish(Layer.Hardswish l) {
            return map(x, v -> v * Math.min(Math.max(v + 3, 0), 6) / 6);
        }

        @Override
        public T sigmoid(Layer.Sigmoid l) {
            return map(x, v -> 1 / (1 + Math.exp(-v)));
        }

        @Override
        public T silu(Layer.Silu l) {
            return map(x, v -> v / (1 + Math.exp(-v)));
        }

        @Override
        public T stochasticDepth(Layer.StochasticDepth l) {
            return x;
        }

        @Override
        public T layerNorm2d(Layer.LayerNorm2d l) {
            double[] g = p(node, "weight");
            double[] b = p(node, "bias");
            int plane = x.h() * x.w();
            double[] y = new double[x.v().length];
            for (int img = 0; img < x.n(); img++) {
                for (int pixel = 0; pixel < plane; pixel++) {
                    int base = img * x.c() * plane + pixel;
                    double mean = 0;
                    for (int ch = 0; ch < x.c(); ch++) {
                        mean += x.v()[base + ch * plane];
                    }
                    mean /= x.c();
                    double var = 0;
                    for (int ch = 0; ch < x.c(); ch++) {
                        double d = x.v()[base + ch * plane] - mean;
                        var += d * d;
                    }
                    var /= x.c(); // biased, as PyTorch's layer_norm
                    double std = Math.sqrt(var + l.eps());
                    for (int ch = 0; ch < x.c(); ch++) {
                        y[base + ch * plane] = (x.v()[base + ch * plane] - mean) / std * g[ch] + b[ch];
                    }
                }
            }
            return new T(y, x.s());
        }

        @Override
        public T channelLinear(Layer.ChannelLinear l) {
            double[] w = p(node, "weight");
            double[] b = l.bias() ? p(node, "bias") : null;
            int plane = x.h() * x.w();
            double[] y = new double[x.n() * l.out() * plane];
            for (int img = 0; img < x.n(); img++) {
                for (int o = 0; o < l.out(); o++) {
                    for (int pixel = 0; pixel < plane; pixel++) {
                        double sum = b == null ? 0 : b[o];
                        for (int i = 0; i < l.in(); i++) {
                            sum += w[o * l.in() + i] * x.v()[(img * l.in() + i) * plane + pixel];
                        }
                        y[(img * l.out() + o) * plane + pixel] = sum;
                    }
                }
            }
            return new T(y, new int[] {x.n(), l.out(), x.h(), x.w()});
        }

        @Override
        public T gelu(Layer.Gelu l) {
            return map(x, v -> v * 0.5 * (1 + erf(v / Math.sqrt(2))));
        }

        @Override
        public T layerScale(Layer.LayerScale l) {
            double[] g = p(node, "layer_scale");
            int plane = x.h() * x.w();
            double[] y = new double[x.v().length];
            for (int i = 0; i < y.length; i++) {
                y[i] = x.v()[i] * g[(i / plane) % x.c()];
            }
            return new T(y, x.s());
        }

        @Override
        public T mul(Layer.Mul l) {
            // [n, c, h, w] times a per-channel [n, c, 1, 1] gate (or an equal shape)
            T gate = values.get(node.inputs().get(1));
            int plane = x.h() * x.w();
            boolean perChannel = gate.v().length * plane == x.v().length && plane > 1;
            double[] y = new double[x.v().length];
            for (int i = 0; i < y.length; i++) {
                y[i] = x.v()[i] * gate.v()[perChannel ? i / plane : i];
            }
            return new T(y, x.s());
        }
    }

    /**
     * erf in double precision (the JDK has none): 2/sqrt(pi) exp(-z^2) sum 2^k z^(2k+1) / (1 3 5 ... (2k+1)), a
     * series of positive terms, so nothing cancels; beyond |z| = 6, erf is 1 to double precision.
     */
    static double erf(double z) {
        double a = Math.abs(z);
        if (a >= 6) {
            return Math.signum(z);
        }
        double term = a;
        double sum = a;
        for (int k = 1; term > 1e-17 * sum; k++) {
            term *= 2 * a * a / (2 * k + 1);
            sum += term;
        }
        return Math.signum(z) * 2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum;
    }

    private static T map(T x, java.util.function.DoubleUnaryOperator f) {
        double[] y = new double[x.v().length];
        for (int i = 0; i < y.length; i++) {
            y[i] = f.applyAsDouble(x.v()[i]);
        }
        return new T(y, x.s());
    }

    private static T conv(T x, Layer.Conv2d c, double[] w, double[] bias) {
        int oh = (x.h() + 2 * c.padH() - c.dilation() * (c.kernelH() - 1) - 1) / c.strideH() + 1;
        int ow = (x.w() + 2 * c.padW() - c.dilation() * (c.kernelW() - 1) - 1) / c.strideW() + 1;
        int inPerGroup = c.in() / c.groups();
        int outPerGroup = c.out() / c.groups();
        double[] y = new double[x.n() * c.out() * oh * ow];
        double[] xv = x.v();
        int h = x.h();
        int wd = x.w();
        for (int b = 0; b < x.n(); b++) {
            for (int o = 0; o < c.out(); o++) {
                int g = o / outPerGroup;
                double[] acc = new double[oh * ow];
                if (bias != null) {
                    java.util.Arrays.fill(acc, bias[o]);
                }
                for (int ci = 0; ci < inPerGroup; ci++) {
                    int inCh = g * inPerGroup + ci;
                    int xBase = (b * c.in() + inCh) * h * wd;
                    for (int ki = 0; ki < c.kernelH(); ki++) {
                        for (int kj = 0; kj < c.kernelW(); kj++) {
                            double wv = w[((o * inPerGroup + ci) * c.kernelH() + ki) * c.kernelW() + kj];
                            for (int i = 0; i < oh; i++) {
                                int yy = i * c.strideH() - c.padH() + ki * c.dilation();
                                if (yy < 0 || yy >= h) {
                                    continue;
                                }
                                for (int j = 0; j < ow; j++) {
                                    int xx = j * c.strideW() - c.padW() + kj * c.dilation();
                                    if (xx >= 0 && xx < wd) {
                                        acc[i * ow + j] += wv * xv[xBase + yy * wd + xx];
                                    }
                                }
                            }
                        }
                    }
                }
                System.arraycopy(acc, 0, y, (b * c.out() + o) * oh * ow, oh * ow);
            }
        }
        return new T(y, new int[] {x.n(), c.out(), oh, ow});
    }

    private static T maxPool(T x, Layer.MaxPool p) {
        int oh = dev.graft.models.spec.Shapes.poolOut(x.h(), p.kernel(), p.stride(), p.padding(), p.ceilMode());
        int ow = dev.graft.models.spec.Shapes.poolOut(x.w(), p.kernel(), p.stride(), p.padding(), p.ceilMode());
        double[] y = new double[x.n() * x.c() * oh * ow];
        for (int plane = 0; plane < x.n() * x.c(); plane++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int ki = 0; ki < p.kernel(); ki++) {
                        for (int kj = 0; kj < p.kernel(); kj++) {
                            int yy = i * p.stride() - p.padding() + ki;
                            int xx = j * p.stride() - p.padding() + kj;
                            if (yy >= 0 && yy < x.h() && xx >= 0 && xx < x.w()) {
                                max = Math.max(max, x.v()[(plane * x.h() + yy) * x.w() + xx]);
                            }
                        }
                    }
                    y[(plane * oh + i) * ow + j] = max;
                }
            }
        }
        return new T(y, new int[] {x.n(), x.c(), oh, ow});
    }

    /** PyTorch's AvgPool2d: floor rounding, padded zeros counted in the divisor. */
    private static T avgPool2d(T x, Layer.AvgPool2d p) {
        int oh = dev.graft.models.spec.Shapes.poolOut(x.h(), p.kernel(), p.stride(), p.padding(), false);
        int ow = dev.graft.models.spec.Shapes.poolOut(x.w(), p.kernel(), p.stride(), p.padding(), false);
        double[] y = new double[x.n() * x.c() * oh * ow];
        for (int plane = 0; plane < x.n() * x.c(); plane++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double sum = 0;
                    for (int ki = 0; ki < p.kernel(); ki++) {
                        for (int kj = 0; kj < p.kernel(); kj++) {
                            int yy = i * p.stride() - p.padding() + ki;
                            int xx = j * p.stride() - p.padding() + kj;
                            if (yy >= 0 && yy < x.h() && xx >= 0 && xx < x.w()) {
                                sum += x.v()[(plane * x.h() + yy) * x.w() + xx];
                            }
                        }
                    }
                    y[(plane * oh + i) * ow + j] = sum / (p.kernel() * p.kernel());
                }
            }
        }
        return new T(y, new int[] {x.n(), x.c(), oh, ow});
    }

    private static T globalPool(T x, boolean max) {
        int plane = x.h() * x.w();
        double[] y = new double[x.n() * x.c()];
        for (int k = 0; k < y.length; k++) {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            for (int i = 0; i < plane; i++) {
                double v = x.v()[k * plane + i];
                acc = max ? Math.max(acc, v) : acc + v;
            }
            y[k] = max ? acc : acc / plane;
        }
        return new T(y, new int[] {x.n(), x.c(), 1, 1});
    }
}
