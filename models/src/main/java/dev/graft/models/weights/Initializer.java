package dev.graft.models.weights;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded starting weights, as the reference libraries make them.
 *
 * <p>Body (torchvision's init): convolutions kaiming-normal with fan_out ({@code out * kh * kw}, as PyTorch counts it
 * for grouped convolutions too) and ReLU gain, their biases (squeeze-and-excitation's) 0, BatchNorm weight 1 and bias
 * 0; the classifier of a whole torchvision network as its architecture initialises it (ResNet: PyTorch's default,
 * uniform within 1/sqrt(fan_in); MobileNets and VGGs: N(0, 0.01) and bias 0; EfficientNets: uniform within
 * 1/sqrt(fan_out) and bias 0). AlexNet sets no initialisation of its own, so its convolutions keep PyTorch's default
 * (weight and bias uniform within 1/sqrt(fan_in)). A first convolution rebuilt for n_in other than 3 is a new
 * {@code nn.Conv2d} in fastai's {@code _update_first_layer}, so its bias (VGG's, AlexNet's) takes PyTorch's default
 * too, and keeps it when a pretrained body is loaded: fastai adapts the pretrained weight, never the bias. Head (fastai's {@code apply_init} with
 * kaiming_normal_): Linear weights kaiming-normal with fan_in and ReLU gain, biases 0; fastai's BatchNorm1d weight 1,
 * bias 1e-3 (bn_final's plain {@code nn.BatchNorm1d}, recognisable by its momentum 0.01, keeps bias 0). Running
 * statistics start at mean 0, variance 1.
 */
public final class Initializer {
    private Initializer() {
    }

    /** Fresh weights for every parameter and buffer of the network. */
    public static Map<String, Tensor> init(Network network, long seed) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        SplittableRandom root = new SplittableRandom(seed);
        for (Node n : network.nodes()) {
            SplittableRandom rnd = root.split();
            boolean head = network.isHead(n);
            for (Param p : n.layer().params()) {
                boolean rebuilt = network.inputChannels() != 3 && n.inputs().contains(Network.INPUT);
                out.put(n.paramName(p), Tensor.ofFloats(p.shapeArray(),
                    values(network.arch(), n.layer(), p, head, rebuilt, rnd)));
            }
        }
        return out;
    }

    /** Fresh weights for the head only (the body is about to come from a pretrained file). */
    public static Map<String, Tensor> initHead(Network network, long seed) {
        Map<String, Tensor> all = init(network, seed);
        Map<String, Tensor> head = new LinkedHashMap<>();
        for (Node n : network.headNodes()) {
            for (Param p : n.layer().params()) {
                head.put(n.paramName(p), all.get(n.paramName(p)));
            }
        }
        return head;
    }

    private static float[] values(String arch, Layer layer, Param p, boolean head, boolean rebuiltFirst,
                                  SplittableRandom rnd) {
        float[] v = new float[(int) p.size()];
        layer.accept(new Fill(arch, p, head, rebuiltFirst, rnd, v));
        return v;
    }

    /** Fills one parameter's values (zeros to start with) as the reference libraries initialise that kind. */
    private static final class Fill implements Layer.Visitor<Void> {
        private final String arch;
        private final Param p;
        private final boolean head;
        private final boolean rebuiltFirst;
        private final SplittableRandom rnd;
        private final float[] v;

        Fill(String arch, Param p, boolean head, boolean rebuiltFirst, SplittableRandom rnd, float[] v) {
            this.arch = arch;
            this.p = p;
            this.head = head;
            this.rebuiltFirst = rebuiltFirst;
            this.rnd = rnd;
            this.v = v;
        }

        @Override
        public Void batchNorm(Layer.BatchNorm bn) {
            float fill = switch (p.name()) {
                case "weight", "running_var" -> 1f;
                case "bias" -> head && bn.dims() == 1 && bn.momentum() != 0.01 ? 1e-3f : 0f;
                default -> 0f;
            };
            java.util.Arrays.fill(v, fill);
            return null;
        }

        @Override
        public Void conv2d(Layer.Conv2d c) {
            double fanIn = (double) c.in() / c.groups() * c.kernelH() * c.kernelW();
            if (!head && arch.startsWith("alexnet")) {
                uniform(v, 1.0 / Math.sqrt(fanIn), rnd);
            } else if (p.name().equals("bias") && rebuiltFirst && !head) {
                uniform(v, 1.0 / Math.sqrt(fanIn), rnd);
            } else if (!head && arch.startsWith("convnext")) {
                if (p.name().equals("weight")) {
                    normal(v, CONVNEXT_STD, rnd);
                }
            } else if (p.name().equals("weight")) {
                // PyTorch's fans of a [out, in / groups, kh, kw] weight: fan_in = in / groups * k, fan_out = out * k
                int fan = head ? c.in() / c.groups() * c.kernelH() * c.kernelW() : c.out() * c.kernelH() * c.kernelW();
                normal(v, Math.sqrt(2.0 / fan), rnd);
            }
            return null;
        }

        @Override
        public Void linear(Layer.Linear lin) {
            if (head) {
                if (p.name().equals("weight")) {
                    normal(v, Math.sqrt(2.0 / lin.in()), rnd);
                }
            } else if (arch.startsWith("mobilenet") || arch.startsWith("vgg")) {
                if (p.name().equals("weight")) {
                    normal(v, 0.01, rnd);
                }
            } else if (arch.startsWith("convnext")) {
                if (p.name().equals("weight")) {
                    normal(v, CONVNEXT_STD, rnd);
                }
            } else if (arch.startsWith("efficientnet")) {
                if (p.name().equals("weight")) {
                    uniform(v, 1.0 / Math.sqrt(lin.out()), rnd);
                }
            } else {
                uniform(v, 1.0 / Math.sqrt(lin.in()), rnd);
            }
            return null;
        }

        // the kinds below have no parameters, so nothing reaches them

        @Override
        public Void relu(Layer.Relu l) {
            return null;
        }

        @Override
        public Void maxPool(Layer.MaxPool l) {
            return null;
        }

        @Override
        public Void add(Layer.Add l) {
            return null;
        }

        @Override
        public Void concat(Layer.Concat l) {
            return null;
        }

        @Override
        public Void avgPool2d(Layer.AvgPool2d l) {
            return null;
        }

        @Override
        public Void concatPool(Layer.ConcatPool l) {
            return null;
        }

        @Override
        public Void avgPool(Layer.AvgPool l) {
            return null;
        }

        @Override
        public Void flatten(Layer.Flatten l) {
            return null;
        }

        @Override
        public Void dropout(Layer.Dropout l) {
            return null;
        }

        @Override
        public Void sigmoidRange(Layer.SigmoidRange l) {
            return null;
        }

        @Override
        public Void relu6(Layer.Relu6 l) {
            return null;
        }

        @Override
        public Void hardswish(Layer.Hardswish l) {
            return null;
        }

        @Override
        public Void hardsigmoid(Layer.Hardsigmoid l) {
            return null;
        }

        @Override
        public Void silu(Layer.Silu l) {
            return null;
        }

        @Override
        public Void sigmoid(Layer.Sigmoid l) {
            return null;
        }

        @Override
        public Void mul(Layer.Mul l) {
            return null;
        }

        @Override
        public Void stochasticDepth(Layer.StochasticDepth l) {
            return null;
        }

        @Override
        public Void gelu(Layer.Gelu l) {
            return null;
        }

        @Override
        public Void layerNorm2d(Layer.LayerNorm2d l) {
            if (p.name().equals("weight")) {
                java.util.Arrays.fill(v, 1f);
            }
            return null;
        }

        @Override
        public Void channelLinear(Layer.ChannelLinear l) {
            // torchvision's ConvNeXt: trunc_normal_(std=0.02) (cut at +-2, i.e. 100 standard deviations), bias 0
            if (p.name().equals("weight")) {
                normal(v, CONVNEXT_STD, rnd);
            }
            return null;
        }

        @Override
        public Void layerScale(Layer.LayerScale l) {
            java.util.Arrays.fill(v, 1e-6f);
            return null;
        }
    }

    /** torchvision's ConvNeXt draws every convolution and linear weight from N(0, 0.02) and zeroes their biases. */
    private static final double CONVNEXT_STD = 0.02;

    private static void normal(float[] v, double std, SplittableRandom rnd) {
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (gaussian(rnd) * std);
        }
    }

    private static void uniform(float[] v, double bound, SplittableRandom rnd) {
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
    }

    /** Box-Muller: SplittableRandom has no nextGaussian on Java 17. */
    private static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
