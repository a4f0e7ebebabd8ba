package dev.graft.models.spec;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * What one node of a network computes, with every attribute an engine or a file format needs to reproduce it.
 *
 * <p>Each kind is a record, so two layers are equal exactly when their attributes are, and the JSON form is the
 * record's fields plus a {@code kind} tag. Parameters are derived from the attributes (never stored), so a spec cannot
 * disagree with itself about a shape. Attribute values follow PyTorch's conventions (BatchNorm momentum is PyTorch's,
 * the weight of the running statistics' update, not DJL's complement).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Layer.Conv2d.class, name = "conv2d"),
    @JsonSubTypes.Type(value = Layer.BatchNorm.class, name = "batchnorm"),
    @JsonSubTypes.Type(value = Layer.Relu.class, name = "relu"),
    @JsonSubTypes.Type(value = Layer.MaxPool.class, name = "maxpool"),
    @JsonSubTypes.Type(value = Layer.Add.class, name = "add"),
    @JsonSubTypes.Type(value = Layer.ConcatPool.class, name = "concat_pool"),
    @JsonSubTypes.Type(value = Layer.AvgPool.class, name = "avg_pool"),
    @JsonSubTypes.Type(value = Layer.Flatten.class, name = "flatten"),
    @JsonSubTypes.Type(value = Layer.Dropout.class, name = "dropout"),
    @JsonSubTypes.Type(value = Layer.Linear.class, name = "linear"),
    @JsonSubTypes.Type(value = Layer.SigmoidRange.class, name = "sigmoid_range"),
    @JsonSubTypes.Type(value = Layer.Relu6.class, name = "relu6"),
    @JsonSubTypes.Type(value = Layer.Hardswish.class, name = "hardswish"),
    @JsonSubTypes.Type(value = Layer.Hardsigmoid.class, name = "hardsigmoid"),
    @JsonSubTypes.Type(value = Layer.Silu.class, name = "silu"),
    @JsonSubTypes.Type(value = Layer.Sigmoid.class, name = "sigmoid"),
    @JsonSubTypes.Type(value = Layer.Mul.class, name = "mul"),
    @JsonSubTypes.Type(value = Layer.StochasticDepth.class, name = "stochastic_depth"),
    @JsonSubTypes.Type(value = Layer.Concat.class, name = "concat"),
    @JsonSubTypes.Type(value = Layer.AvgPool2d.class, name = "avg_pool2d"),
    @JsonSubTypes.Type(value = Layer.LayerNorm2d.class, name = "layer_norm2d"),
    @JsonSubTypes.Type(value = Layer.ChannelLinear.class, name = "channel_linear"),
    @JsonSubTypes.Type(value = Layer.Gelu.class, name = "gelu"),
    @JsonSubTypes.Type(value = Layer.LayerScale.class, name = "layer_scale"),
})
public sealed interface Layer {

    /** The tag used in JSON and in summaries, e.g. {@code conv2d}. */
    @JsonIgnore
    String kind();

    /** Parameters and buffers in PyTorch's order, named as PyTorch names them inside the module. */
    @JsonIgnore
    default List<Param> params() {
        return List.of();
    }

    /** True for layers whose output depends on being in training mode (dropout, batch statistics). */
    @JsonIgnore
    default boolean trainingDependent() {
        return false;
    }

    /**
     * Calls the visitor's method for this layer's kind. This is the one dispatch over layer kinds: every part of Graft
     * that does something different per kind (shapes, the engine, the ONNX writer, the summary, the drawing, the
     * initial weights) implements {@link Visitor}, so a new kind cannot compile until each of them handles it.
     */
    <R> R accept(Visitor<R> visitor);

    /**
     * One method per layer kind, none with a default: adding a kind to {@link Layer} adds a method here, and every
     * implementation that does not yet say what the new kind means fails to compile instead of failing at run time.
     * The recipe is in {@code docs/network-spec.md} ("Adding a layer kind").
     *
     * @param <R> what the visit produces ({@link Void} and {@code null} for visits that only act)
     */
    interface Visitor<R> {
        R conv2d(Conv2d layer);

        R batchNorm(BatchNorm layer);

        R relu(Relu layer);

        R maxPool(MaxPool layer);

        R add(Add layer);

        R concatPool(ConcatPool layer);

        R avgPool(AvgPool layer);

        R flatten(Flatten layer);

        R dropout(Dropout layer);

        R linear(Linear layer);

        R sigmoidRange(SigmoidRange layer);

        R relu6(Relu6 layer);

        R hardswish(Hardswish layer);

        R hardsigmoid(Hardsigmoid layer);

        R silu(Silu layer);

        R sigmoid(Sigmoid layer);

        R mul(Mul layer);

        R stochasticDepth(StochasticDepth layer);

        R concat(Concat layer);

        R avgPool2d(AvgPool2d layer);

        R layerNorm2d(LayerNorm2d layer);

        R channelLinear(ChannelLinear layer);

        R gelu(Gelu layer);

        R layerScale(LayerScale layer);
    }

    /** 2-d convolution, PyTorch's {@code nn.Conv2d} with square or rectangular kernels and symmetric padding. */
    record Conv2d(int in, int out, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                  int dilation, int groups, boolean bias) implements Layer {
        public Conv2d {
            positive("in", in);
            positive("out", out);
            positive("kernelH", kernelH);
            positive("kernelW", kernelW);
            positive("strideH", strideH);
            positive("strideW", strideW);
            nonNegative("padH", padH);
            nonNegative("padW", padW);
            positive("dilation", dilation);
            positive("groups", groups);
            if (in % groups != 0 || out % groups != 0) {
                throw new IllegalArgumentException("conv2d: groups " + groups + " must divide in " + in + " and out " + out);
            }
        }

        /** A square-kernel convolution as torchvision writes them. */
        public static Conv2d square(int in, int out, int kernel, int stride, int padding, boolean bias) {
            return new Conv2d(in, out, kernel, kernel, stride, stride, padding, padding, 1, 1, bias);
        }

        @Override
        public String kind() {
            return "conv2d";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.conv2d(this);
        }

        @Override
        public List<Param> params() {
            List<Param> p = new ArrayList<>();
            p.add(Param.learnable("weight", out, in / groups, kernelH, kernelW));
            if (bias) {
                p.add(Param.learnable("bias", out));
            }
            return p;
        }
    }

    /**
     * Batch normalisation over channels ({@code dims = 2}, after a convolution) or features ({@code dims = 1}, in the
     * head). {@code momentum} is PyTorch's: running = (1 - momentum) * running + momentum * batch.
     */
    record BatchNorm(int features, int dims, double eps, double momentum) implements Layer {
        public static final double DEFAULT_EPS = 1e-5;
        public static final double DEFAULT_MOMENTUM = 0.1;

        public BatchNorm {
            positive("features", features);
            if (dims != 1 && dims != 2) {
                throw new IllegalArgumentException("batchnorm: dims must be 1 or 2, not " + dims);
            }
            if (!(eps > 0)) {
                throw new IllegalArgumentException("batchnorm: eps must be positive, not " + eps);
            }
            if (!(momentum > 0 && momentum <= 1)) {
                throw new IllegalArgumentException("batchnorm: momentum must be in (0, 1], not " + momentum);
            }
        }

        public static BatchNorm of2d(int features) {
            return new BatchNorm(features, 2, DEFAULT_EPS, DEFAULT_MOMENTUM);
        }

        public static BatchNorm of1d(int features) {
            return new BatchNorm(features, 1, DEFAULT_EPS, DEFAULT_MOMENTUM);
        }

        @Override
        public String kind() {
            return "batchnorm";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.batchNorm(this);
        }

        @Override
        public List<Param> params() {
            return List.of(
                Param.learnable("weight", features),
                Param.learnable("bias", features),
                Param.buffer("running_mean", features),
                Param.buffer("running_var", features));
        }

        @Override
        public boolean trainingDependent() {
            return true;
        }
    }

    /** max(x, 0). */
    record Relu() implements Layer {
        @Override
        public String kind() {
            return "relu";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.relu(this);
        }
    }

    /**
     * Max pooling padded by minus infinity, with PyTorch's output rounding: floor by default, ceiling with
     * {@code ceilMode} (SqueezeNet's pools), where PyTorch drops a last window that would start in the right padding.
     * {@code ceilMode} is left out of the JSON when false, and a spec written before it existed reads as floor.
     */
    @JsonDeserialize(builder = MaxPool.Json.class)
    record MaxPool(int kernel, int stride, int padding,
                   @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean ceilMode) implements Layer {
        public MaxPool {
            positive("kernel", kernel);
            positive("stride", stride);
            nonNegative("padding", padding);
            if (padding * 2 > kernel) {
                throw new IllegalArgumentException("maxpool: padding " + padding + " must be at most half the kernel " + kernel);
            }
        }

        /** Floor rounding, PyTorch's default ({@code ceil_mode=False}). */
        public MaxPool(int kernel, int stride, int padding) {
            this(kernel, stride, padding, false);
        }

        @Override
        public String kind() {
            return "maxpool";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.maxPool(this);
        }

        /** Reads the JSON form, where {@code ceilMode} is optional and every other attribute is required. */
        @JsonPOJOBuilder(withPrefix = "")
        static final class Json {
            private Integer kernel;
            private Integer stride;
            private Integer padding;
            private boolean ceilMode;

            Json kernel(int v) {
                kernel = v;
                return this;
            }

            Json stride(int v) {
                stride = v;
                return this;
            }

            Json padding(int v) {
                padding = v;
                return this;
            }

            Json ceilMode(boolean v) {
                ceilMode = v;
                return this;
            }

            MaxPool build() {
                if (kernel == null || stride == null || padding == null) {
                    throw new IllegalArgumentException("maxpool: kernel, stride and padding are required");
                }
                return new MaxPool(kernel, stride, padding, ceilMode);
            }
        }
    }

    /** Element-wise sum of its inputs: the residual join. */
    record Add() implements Layer {
        @Override
        public String kind() {
            return "add";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.add(this);
        }
    }

    /**
     * fastai's AdaptiveConcatPool2d at output size 1: global max pool and global average pool concatenated along the
     * channels, max first, so the head sees 2 x nf features.
     */
    record ConcatPool() implements Layer {
        @Override
        public String kind() {
            return "concat_pool";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.concatPool(this);
        }
    }

    /** Global average pooling (AdaptiveAvgPool2d(1)): keeps [N, C, 1, 1]. */
    record AvgPool() implements Layer {
        @Override
        public String kind() {
            return "avg_pool";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.avgPool(this);
        }
    }

    /** x.view(N, -1). */
    record Flatten() implements Layer {
        @Override
        public String kind() {
            return "flatten";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.flatten(this);
        }
    }

    /** Dropout with probability p in training, identity in evaluation. */
    record Dropout(double p) implements Layer {
        public Dropout {
            if (!(p >= 0 && p < 1)) {
                throw new IllegalArgumentException("dropout: p must be in [0, 1), not " + p);
            }
        }

        @Override
        public String kind() {
            return "dropout";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.dropout(this);
        }

        @Override
        public boolean trainingDependent() {
            return true;
        }
    }

    /** y = x W^T + b, PyTorch's {@code nn.Linear} (weight shaped [out, in]). */
    record Linear(int in, int out, boolean bias) implements Layer {
        public Linear {
            positive("in", in);
            positive("out", out);
        }

        @Override
        public String kind() {
            return "linear";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.linear(this);
        }

        @Override
        public List<Param> params() {
            return bias
                ? List.of(Param.learnable("weight", out, in), Param.learnable("bias", out))
                : List.of(Param.learnable("weight", out, in));
        }
    }

    /** fastai's SigmoidRange: sigmoid(x) * (high - low) + low, for regression targets in a known range. */
    record SigmoidRange(double low, double high) implements Layer {
        public SigmoidRange {
            if (!(low < high) || !Double.isFinite(low) || !Double.isFinite(high)) {
                throw new IllegalArgumentException("sigmoid_range: low must be below high, got " + low + ", " + high);
            }
        }

        @Override
        public String kind() {
            return "sigmoid_range";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.sigmoidRange(this);
        }
    }

    /** min(max(x, 0), 6): PyTorch's {@code nn.ReLU6}, MobileNetV2's activation. */
    record Relu6() implements Layer {
        @Override
        public String kind() {
            return "relu6";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.relu6(this);
        }
    }

    /** x * relu6(x + 3) / 6: PyTorch's {@code nn.Hardswish}, MobileNetV3's activation. */
    record Hardswish() implements Layer {
        @Override
        public String kind() {
            return "hardswish";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.hardswish(this);
        }
    }

    /** relu6(x + 3) / 6: PyTorch's {@code nn.Hardsigmoid}, the gate of MobileNetV3's squeeze-and-excitation. */
    record Hardsigmoid() implements Layer {
        @Override
        public String kind() {
            return "hardsigmoid";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.hardsigmoid(this);
        }
    }

    /** x * sigmoid(x): PyTorch's {@code nn.SiLU} (swish), EfficientNet's activation. */
    record Silu() implements Layer {
        @Override
        public String kind() {
            return "silu";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.silu(this);
        }
    }

    /** 1 / (1 + exp(-x)): PyTorch's {@code nn.Sigmoid}, the gate of EfficientNet's squeeze-and-excitation. */
    record Sigmoid() implements Layer {
        @Override
        public String kind() {
            return "sigmoid";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.sigmoid(this);
        }
    }

    /**
     * Element-wise product of two inputs, the second broadcast over the first where its dimensions are 1: the
     * channel-wise scaling of squeeze-and-excitation ({@code [C, H, W] * [C, 1, 1]}).
     */
    record Mul() implements Layer {
        @Override
        public String kind() {
            return "mul";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.mul(this);
        }
    }

    /**
     * torchvision's {@code StochasticDepth(p, mode)}: in training, each sample ({@code row}) or the whole batch
     * ({@code batch}) is zeroed with probability p and the survivors scaled by 1 / (1 - p); identity in evaluation.
     * EfficientNet puts one on every residual branch, p growing linearly with depth.
     */
    record StochasticDepth(double p, String mode) implements Layer {
        public static final String ROW = "row";
        public static final String BATCH = "batch";

        public StochasticDepth {
            if (!(p >= 0 && p < 1)) {
                throw new IllegalArgumentException("stochastic_depth: p must be in [0, 1), not " + p);
            }
            if (!ROW.equals(mode) && !BATCH.equals(mode)) {
                throw new IllegalArgumentException("stochastic_depth: mode must be 'row' or 'batch', not '" + mode + "'");
            }
        }

        /** torchvision's row mode, the one its EfficientNets use. */
        public static StochasticDepth row(double p) {
            return new StochasticDepth(p, ROW);
        }

        @Override
        public String kind() {
            return "stochastic_depth";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.stochasticDepth(this);
        }

        @Override
        public boolean trainingDependent() {
            return true;
        }
    }

    /**
     * Its inputs concatenated along the channels, in input order: a dense block's growing feature map and a fire
     * module's two expand branches. Every input must have the same spatial size.
     */
    record Concat() implements Layer {
        @Override
        public String kind() {
            return "concat";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.concat(this);
        }
    }

    /**
     * Windowed average pooling, PyTorch's {@code nn.AvgPool2d(kernel, stride, padding)} with its defaults (floor
     * rounding, padded zeros counted in the average). DenseNet's transitions halve the size with kernel 2, stride 2.
     * Distinct from {@link AvgPool}, the global pool of the heads.
     */
    record AvgPool2d(int kernel, int stride, int padding) implements Layer {
        public AvgPool2d {
            positive("kernel", kernel);
            positive("stride", stride);
            nonNegative("padding", padding);
            if (padding * 2 > kernel) {
                throw new IllegalArgumentException("avg_pool2d: padding " + padding + " must be at most half the kernel " + kernel);
            }
        }

        @Override
        public String kind() {
            return "avg_pool2d";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.avgPool2d(this);
        }
    }

    /**
     * Layer normalisation over the channels of each pixel: for every (n, h, w), the C values are normalised to mean 0
     * and variance 1 (biased variance, {@code eps} inside the square root), then scaled by {@code weight} and shifted by
     * {@code bias}, both [C]. This is torchvision's {@code LayerNorm2d} (ConvNeXt's stem, downsampling layers and
     * classifier) and equally the {@code nn.LayerNorm(C)} that a ConvNeXt block applies between two {@code Permute}s:
     * the permutes only move the channels last and back, so one kind on NCHW computes both, and the permutes, having
     * no parameters, leave no node.
     */
    record LayerNorm2d(int channels, double eps) implements Layer {
        /** torchvision's ConvNeXt passes {@code eps=1e-6} to every one of its layer norms. */
        public static final double CONVNEXT_EPS = 1e-6;

        public LayerNorm2d {
            positive("channels", channels);
            if (!(eps > 0)) {
                throw new IllegalArgumentException("layer_norm2d: eps must be positive, not " + eps);
            }
        }

        @Override
        public String kind() {
            return "layer_norm2d";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.layerNorm2d(this);
        }

        @Override
        public List<Param> params() {
            return List.of(Param.learnable("weight", channels), Param.learnable("bias", channels));
        }
    }

    /**
     * {@code nn.Linear(in, out)} applied to every pixel's channel vector: [N, in, H, W] to [N, out, H, W], weight
     * shaped [out, in] as PyTorch stores it. A ConvNeXt block's two pointwise layers are {@code nn.Linear}s on a
     * channels-last tensor; keeping them a kind of their own, rather than 1x1 convolutions, keeps torchvision's
     * parameter shapes, so its weight files load unchanged.
     */
    record ChannelLinear(int in, int out, boolean bias) implements Layer {
        public ChannelLinear {
            positive("in", in);
            positive("out", out);
        }

        @Override
        public String kind() {
            return "channel_linear";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.channelLinear(this);
        }

        @Override
        public List<Param> params() {
            return bias
                ? List.of(Param.learnable("weight", out, in), Param.learnable("bias", out))
                : List.of(Param.learnable("weight", out, in));
        }
    }

    /**
     * x * (1 + erf(x / sqrt 2)) / 2: PyTorch's {@code nn.GELU()} with its default {@code approximate='none'}, the exact
     * form, ConvNeXt's activation (not the tanh approximation).
     */
    record Gelu() implements Layer {
        @Override
        public String kind() {
            return "gelu";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.gelu(this);
        }
    }

    /**
     * A learnable per-channel factor: x * gamma with gamma shaped [C, 1, 1]. torchvision's ConvNeXt block holds it as
     * the parameter {@code layer_scale} of the block module itself (so the node's id is the block's path), starting at
     * 1e-6 so that each residual branch begins almost switched off.
     */
    record LayerScale(int channels) implements Layer {
        public LayerScale {
            positive("channels", channels);
        }

        @Override
        public String kind() {
            return "layer_scale";
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.layerScale(this);
        }

        @Override
        public List<Param> params() {
            return List.of(Param.learnable("layer_scale", channels, 1, 1));
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, not " + value);
        }
    }

    private static void nonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, not " + value);
        }
    }
}
