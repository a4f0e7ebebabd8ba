package dev.graft.models.spec;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Output shapes of every node for a given input size, batch dimension left out: [C, H, W] for images, [F] for
 * features.
 *
 * <p>The summary prints these, the drawing labels its edges with them, and building a network checks with them that
 * channels agree from node to node.
 */
public final class Shapes {
    private Shapes() {
    }

    /** Shapes for an input of {@code height x width} pixels; throws a readable error when a layer cannot take it. */
    public static Map<String, int[]> infer(Network net, int height, int width) {
        if (height <= 0 || width <= 0) {
            throw new dev.graft.models.GraftException("input size must be positive, not " + height + "x" + width);
        }
        return run(net, height, width, true);
    }

    static void validateChannels(Network net) {
        run(net, 1024, 1024, false);
    }

    private static Map<String, int[]> run(Network net, int h, int w, boolean checkSpatial) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(Network.INPUT, new int[] {net.inputChannels(), h, w});
        for (Node n : net.nodes()) {
            int[] in = shapes.get(n.inputs().get(0));
            int[] out = outputShape(n, in, n.inputs().stream().map(shapes::get).toList(), checkSpatial);
            shapes.put(n.id(), out);
        }
        shapes.remove(Network.INPUT);
        return shapes;
    }

    private static int[] outputShape(Node n, int[] in, List<int[]> all, boolean checkSpatial) {
        return n.layer().accept(new OutputShape(n, in, all, checkSpatial));
    }

    /** One node's output shape from its inputs' shapes, or a readable error when the layer cannot take them. */
    private static final class OutputShape implements Layer.Visitor<int[]> {
        private final Node n;
        private final int[] in;
        private final List<int[]> all;
        private final boolean checkSpatial;

        OutputShape(Node n, int[] in, List<int[]> all, boolean checkSpatial) {
            this.n = n;
            this.in = in;
            this.all = all;
            this.checkSpatial = checkSpatial;
        }

        @Override
        public int[] conv2d(Layer.Conv2d c) {
            requireImage(n, in);
            requireChannels(n, in[0], c.in());
            int oh = convOut(in[1], c.kernelH(), c.strideH(), c.padH(), c.dilation());
            int ow = convOut(in[2], c.kernelW(), c.strideW(), c.padW(), c.dilation());
            return spatial(n, c.out(), oh, ow, in, checkSpatial);
        }

        @Override
        public int[] maxPool(Layer.MaxPool p) {
            requireImage(n, in);
            int oh = poolOut(in[1], p.kernel(), p.stride(), p.padding(), p.ceilMode());
            int ow = poolOut(in[2], p.kernel(), p.stride(), p.padding(), p.ceilMode());
            return spatial(n, in[0], oh, ow, in, checkSpatial);
        }

        @Override
        public int[] avgPool2d(Layer.AvgPool2d p) {
            requireImage(n, in);
            int oh = poolOut(in[1], p.kernel(), p.stride(), p.padding(), false);
            int ow = poolOut(in[2], p.kernel(), p.stride(), p.padding(), false);
            return spatial(n, in[0], oh, ow, in, checkSpatial);
        }

        @Override
        public int[] concat(Layer.Concat l) {
            int channels = 0;
            for (int[] one : all) {
                if (one.length != 3) {
                    throw new IllegalArgumentException(n.id() + ": concat needs image-shaped inputs, got " + fmt(one));
                }
                if (one[1] != in[1] || one[2] != in[2]) {
                    throw new IllegalArgumentException(n.id() + ": concat joins different spatial sizes " + fmt(in) + " and " + fmt(one));
                }
                channels += one[0];
            }
            return new int[] {channels, in[1], in[2]};
        }

        @Override
        public int[] batchNorm(Layer.BatchNorm b) {
            if (b.dims() == 2) {
                requireImage(n, in);
            } else if (in.length != 1) {
                throw new IllegalArgumentException(n.id() + ": batchnorm over 1-d features needs a flat input, got " + fmt(in));
            }
            requireChannels(n, in[0], b.features());
            return in;
        }

        @Override
        public int[] add(Layer.Add l) {
            for (int[] other : all) {
                if (!Arrays.equals(other, in)) {
                    throw new IllegalArgumentException(n.id() + ": add joins different shapes " + fmt(in) + " and " + fmt(other));
                }
            }
            return in;
        }

        @Override
        public int[] mul(Layer.Mul l) {
            int[] other = all.get(1);
            if (other.length != in.length) {
                throw new IllegalArgumentException(n.id() + ": mul joins shapes of different rank " + fmt(in) + " and " + fmt(other));
            }
            for (int i = 0; i < in.length; i++) {
                if (other[i] != in[i] && other[i] != 1) {
                    throw new IllegalArgumentException(n.id() + ": mul cannot broadcast " + fmt(other) + " over " + fmt(in));
                }
            }
            return in;
        }

        @Override
        public int[] concatPool(Layer.ConcatPool l) {
            requireImage(n, in);
            return new int[] {in[0] * 2, 1, 1};
        }

        @Override
        public int[] avgPool(Layer.AvgPool l) {
            requireImage(n, in);
            return new int[] {in[0], 1, 1};
        }

        @Override
        public int[] flatten(Layer.Flatten l) {
            int f = 1;
            for (int d : in) {
                f *= d;
            }
            return new int[] {f};
        }

        @Override
        public int[] linear(Layer.Linear lin) {
            if (in.length != 1) {
                throw new IllegalArgumentException(n.id() + ": linear needs a flat input (add a flatten), got " + fmt(in));
            }
            requireChannels(n, in[0], lin.in());
            return new int[] {lin.out()};
        }

        // element-wise layers keep their input's shape

        @Override
        public int[] relu(Layer.Relu l) {
            return in;
        }

        @Override
        public int[] dropout(Layer.Dropout l) {
            return in;
        }

        @Override
        public int[] sigmoidRange(Layer.SigmoidRange l) {
            return in;
        }

        @Override
        public int[] relu6(Layer.Relu6 l) {
            return in;
        }

        @Override
        public int[] hardswish(Layer.Hardswish l) {
            return in;
        }

        @Override
        public int[] hardsigmoid(Layer.Hardsigmoid l) {
            return in;
        }

        @Override
        public int[] silu(Layer.Silu l) {
            return in;
        }

        @Override
        public int[] sigmoid(Layer.Sigmoid l) {
            return in;
        }

        @Override
        public int[] stochasticDepth(Layer.StochasticDepth l) {
            return in;
        }

        @Override
        public int[] gelu(Layer.Gelu l) {
            return in;
        }

        @Override
        public int[] layerNorm2d(Layer.LayerNorm2d l) {
            requireImage(n, in);
            requireChannels(n, in[0], l.channels());
            return in;
        }

        @Override
        public int[] layerScale(Layer.LayerScale l) {
            requireImage(n, in);
            requireChannels(n, in[0], l.channels());
            return in;
        }

        @Override
        public int[] channelLinear(Layer.ChannelLinear l) {
            requireImage(n, in);
            requireChannels(n, in[0], l.in());
            return new int[] {l.out(), in[1], in[2]};
        }
    }

    /**
     * A pooling window count along one axis as PyTorch computes it: floor or ceiling rounding, and with ceiling a last
     * window that would start inside the right padding is dropped.
     */
    public static int poolOut(int size, int kernel, int stride, int pad, boolean ceil) {
        int span = size + 2 * pad - kernel;
        if (!ceil) {
            return Math.floorDiv(span, stride) + 1;
        }
        int out = -Math.floorDiv(-span, stride) + 1;
        if ((out - 1) * stride >= size + pad) {
            out--;
        }
        return out;
    }

    private static int convOut(int size, int kernel, int stride, int pad, int dilation) {
        return Math.floorDiv(size + 2 * pad - dilation * (kernel - 1) - 1, stride) + 1;
    }

    private static int[] spatial(Node n, int c, int h, int w, int[] in, boolean check) {
        if (check && (h < 1 || w < 1)) {
            throw new dev.graft.models.GraftException("the input size is too small: " + n.id() + " receives " + fmt(in)
                + " and would produce nothing; use a larger --size");
        }
        return new int[] {c, Math.max(h, 1), Math.max(w, 1)};
    }

    private static void requireImage(Node n, int[] in) {
        if (in.length != 3) {
            throw new IllegalArgumentException(n.id() + ": " + n.layer().kind() + " needs an image-shaped input, got " + fmt(in));
        }
    }

    private static void requireChannels(Node n, int actual, int expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(n.id() + ": " + n.layer().kind() + " expects " + expected
                + " input channels/features but receives " + actual);
        }
    }

    /** A shape as PyTorch prints it, e.g. {@code [512, 7, 7]}. */
    public static String fmt(int[] shape) {
        return Arrays.toString(shape);
    }
}
