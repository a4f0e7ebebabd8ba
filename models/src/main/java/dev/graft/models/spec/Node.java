package dev.graft.models.spec;

import java.util.List;

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
        boolean fits = layer instanceof Layer.Add ? inputs.size() >= 2
            : layer instanceof Layer.Mul ? inputs.size() == 2
            : inputs.size() == 1;
        if (!fits) {
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
}
