package dev.graft.models.spec;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * One step of a network: a layer applied to the outputs of earlier nodes.
 *
 * <p>The id is the PyTorch module path the node stands for ({@code layer1.0.conv1}, {@code head.4}), so a parameter's
 * full name is {@code id + "." + param}. Nodes that PyTorch runs as functions rather than modules (a ResNet block's
 * residual add, its second ReLU) get ids that follow torch.fx's naming ({@code layer1.0.add}, {@code layer1.0.relu_1}).
 *
 * @param id unique within the network
 * @param layer what the node computes
 * @param inputs ids of earlier nodes, or {@link Network#INPUT} for the image
 */
public record Node(String id, Layer layer, List<String> inputs) {
    public Node {
        if (id == null || id.isBlank() || id.equals(Network.INPUT)) {
            throw new IllegalArgumentException("a node needs an id other than '" + Network.INPUT + "'");
        }
        if (layer == null) {
            throw new IllegalArgumentException("node " + id + " has no layer");
        }
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("node " + id + " reads no input");
        }
        if (!layer.accept(ARITY).test(inputs.size())) {
            throw new IllegalArgumentException("node " + id + " (" + layer.kind() + ") has " + inputs.size() + " inputs");
        }
    }

    /** The node's first path component: the top-level module it belongs to ({@code layer1}, {@code head}). */
    public String topLevel() {
        int dot = id.indexOf('.');
        return dot < 0 ? id : id.substring(0, dot);
    }

    /** The full PyTorch-style name of one of this node's parameters. */
    public String paramName(Param p) {
        return id + "." + p.name();
    }

    private static final IntPredicate ONE = k -> k == 1;

    /** How many inputs each kind reads: the joins two or more, everything else one. */
    private static final Layer.Visitor<IntPredicate> ARITY = new Layer.Visitor<>() {
        @Override
        public IntPredicate conv2d(Layer.Conv2d l) {
            return ONE;
        }

        @Override
        public IntPredicate batchNorm(Layer.BatchNorm l) {
            return ONE;
        }

        @Override
        public IntPredicate relu(Layer.Relu l) {
            return ONE;
        }

        @Override
        public IntPredicate maxPool(Layer.MaxPool l) {
            return ONE;
        }

        @Override
        public IntPredicate add(Layer.Add l) {
            return k -> k >= 2;
        }

        @Override
        public IntPredicate concat(Layer.Concat l) {
            return k -> k >= 2;
        }

        @Override
        public IntPredicate avgPool2d(Layer.AvgPool2d l) {
            return ONE;
        }

        @Override
        public IntPredicate concatPool(Layer.ConcatPool l) {
            return ONE;
        }

        @Override
        public IntPredicate avgPool(Layer.AvgPool l) {
            return ONE;
        }

        @Override
        public IntPredicate flatten(Layer.Flatten l) {
            return ONE;
        }

        @Override
        public IntPredicate dropout(Layer.Dropout l) {
            return ONE;
        }

        @Override
        public IntPredicate linear(Layer.Linear l) {
            return ONE;
        }

        @Override
        public IntPredicate sigmoidRange(Layer.SigmoidRange l) {
            return ONE;
        }

        @Override
        public IntPredicate relu6(Layer.Relu6 l) {
            return ONE;
        }

        @Override
        public IntPredicate hardswish(Layer.Hardswish l) {
            return ONE;
        }

        @Override
        public IntPredicate hardsigmoid(Layer.Hardsigmoid l) {
            return ONE;
        }

        @Override
        public IntPredicate silu(Layer.Silu l) {
            return ONE;
        }

        @Override
        public IntPredicate sigmoid(Layer.Sigmoid l) {
            return ONE;
        }

        @Override
        public IntPredicate mul(Layer.Mul l) {
            return k -> k == 2;
        }

        @Override
        public IntPredicate stochasticDepth(Layer.StochasticDepth l) {
            return ONE;
        }

        @Override
        public IntPredicate layerNorm2d(Layer.LayerNorm2d l) {
            return ONE;
        }

        @Override
        public IntPredicate channelLinear(Layer.ChannelLinear l) {
            return ONE;
        }

        @Override
        public IntPredicate gelu(Layer.Gelu l) {
            return ONE;
        }

        @Override
        public IntPredicate layerScale(Layer.LayerScale l) {
            return ONE;
        }
    };
}
