package dev.graft.models.spec;

import java.util.List;

/**
 * A BatchNorm and the weighted layer whose output it alone normalises: the pairs a BatchNorm can be folded into (its
 * scale and shift merged into the layer's output channels).
 *
 * <p>The engine fuses the direct convolution pairs while they are constant, the ONNX export folds every pair, and
 * both read the pairs from {@link Network#batchNormPairs()}, so they cannot disagree about which BatchNorm belongs to
 * which layer.
 *
 * @param layer the Conv2d (before a 2-d BatchNorm) or Linear (before a 1-d BatchNorm) whose output nothing else reads
 * @param batchNorm the BatchNorm node
 * @param dropouts the Dropouts between the two in order, each read only by the next; empty when the BatchNorm reads
 *     the layer directly. They are identities at inference, but not in training.
 */
public record BatchNormPair(Node layer, Node batchNorm, List<Node> dropouts) {
    public BatchNormPair {
        dropouts = List.copyOf(dropouts);
    }

    /** True when the BatchNorm reads the layer's output directly, with no Dropout in between. */
    public boolean direct() {
        return dropouts.isEmpty();
    }

    /** True when the layer is a convolution (a 2-d BatchNorm), false for a Linear (1-d). */
    public boolean convolution() {
        return layer.layer() instanceof Layer.Conv2d;
    }
}
