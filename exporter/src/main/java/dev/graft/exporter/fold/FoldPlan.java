package dev.graft.exporter.fold;

import dev.graft.models.spec.BatchNormPair;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where each BatchNorm of a network goes when the graph is folded, decided from the network's structure alone.
 *
 * <p>A BatchNorm's affine map can merge into a weighted layer only when nothing else sees the tensor in between, so
 * the decision depends on the graph's wiring, not just on which layers are adjacent in the list. The rules, in order:
 * <ol>
 *   <li><b>Into the preceding layer</b> ({@link Kind#INTO_PRECEDING}): the BatchNorm is in one of the spec's
 *       {@link Network#batchNormPairs() pairs}: it reads, directly or through Dropouts (identities at inference), a
 *       Conv2d (2-d BatchNorm) or Linear (1-d) whose output nothing else reads.
 *       The layer's output channels are scaled and shifted: {@code W'[o] = s[o] W[o]}, {@code b' = s b + t}. Every
 *       BatchNorm of a ResNet body folds this way, as does every BatchNorm of the mobile bodies (a depthwise weight
 *       {@code [C, 1, k, k]} is C blocks of k x k, scaled per output channel like any other), and so does fastai's
 *       {@code bn_final}, which follows the last Linear.</li>
 *   <li><b>Into the following Linear</b> ({@link Kind#INTO_FOLLOWING}): a 1-d BatchNorm whose output goes, directly or
 *       through Dropouts, only to a Linear. The Linear absorbs it on its input side: {@code W(x s + t) + b = (W s) x +
 *       (W t + b)}, scaling W's columns. This is how fastai's head BatchNorms fold: they come before their Linear, and
 *       with {@code lin_first} they sit after a ReLU, through which nothing can fold backwards. A convolution is never
 *       a target on this side: its zero padding would pad {@code x}, not {@code x s + t}.</li>
 *   <li><b>Scale and shift</b> ({@link Kind#SCALE_SHIFT}): anything else becomes an element-wise Mul and Add by
 *       per-channel constants, never a BatchNormalization node.</li>
 * </ol>
 * A layer can absorb one BatchNorm on each side (fastai's head with {@code lin_ftrs=[]} and {@code bn_final} does
 * exactly that); both folds are affine, so their order does not matter.
 *
 * <p>ConvNeXt's layer scale is a per-channel factor with no shift, so it folds by the same rule as a BatchNorm into
 * the preceding layer: a {@link Layer.LayerScale} that reads a {@link Layer.ChannelLinear} whose output nothing else
 * reads scales that layer's output rows, {@code W'[o] = g[o] W[o]}, {@code b'[o] = g[o] b[o]}
 * ({@link #layerScaleFoldedInto}). Every block of a torchvision ConvNeXt has that shape, so the export of a block
 * ends in its second pointwise layer and the residual Add reads it directly.
 */
public final class FoldPlan {
    /** How one BatchNorm disappears. */
    public enum Kind {
        /** Merged into the output channels of the Conv2d or Linear it reads. */
        INTO_PRECEDING,
        /** Merged into the input features of the Linear that reads it. */
        INTO_FOLLOWING,
        /** Kept as an element-wise Mul and Add. */
        SCALE_SHIFT
    }

    /**
     * The fate of one BatchNorm.
     *
     * @param batchNorm the BatchNorm's node id
     * @param kind how it is folded
     * @param target the id of the layer that absorbs it; empty for {@link Kind#SCALE_SHIFT}
     */
    public record Decision(String batchNorm, Kind kind, Optional<String> target) {
    }

    private final Map<String, Decision> decisions;
    private final Map<String, String> intoOutputs = new HashMap<>();
    private final Map<String, String> intoInputs = new HashMap<>();
    /** Layer scale id by the id of the ChannelLinear it folds into. */
    private final Map<String, String> layerScales;

    private FoldPlan(Map<String, Decision> decisions, Map<String, String> layerScales) {
        this.decisions = Collections.unmodifiableMap(decisions);
        this.layerScales = Collections.unmodifiableMap(layerScales);
        for (Decision d : decisions.values()) {
            d.target().ifPresent(t -> (d.kind() == Kind.INTO_PRECEDING ? intoOutputs : intoInputs).put(t, d.batchNorm()));
        }
    }

    /** Decides every BatchNorm of {@code network}. */
    public static FoldPlan of(Network network) {
        Map<String, List<String>> consumers = network.consumers();
        Map<String, BatchNormPair> preceding = new HashMap<>();
        for (BatchNormPair pair : network.batchNormPairs()) {
            preceding.put(pair.batchNorm().id(), pair);
        }
        Map<String, Decision> out = new LinkedHashMap<>();
        Map<String, String> layerScales = new HashMap<>();
        for (Node n : network.nodes()) {
            if (n.layer() instanceof Layer.BatchNorm bn) {
                BatchNormPair pair = preceding.get(n.id());
                out.put(n.id(), pair != null
                    ? new Decision(n.id(), Kind.INTO_PRECEDING, Optional.of(pair.layer().id()))
                    : decideForward(network, consumers, n, bn));
            } else if (n.layer() instanceof Layer.LayerScale scale) {
                String in = n.inputs().get(0);
                if (!in.equals(Network.INPUT) && network.node(in).layer() instanceof Layer.ChannelLinear lin
                        && lin.out() == scale.channels() && consumersOf(consumers, in).size() == 1) {
                    layerScales.put(in, n.id());
                }
            }
        }
        return new FoldPlan(out, layerScales);
    }

    /** A BatchNorm that pairs with no layer before it: into the following Linear, or scale and shift. */
    private static Decision decideForward(Network net, Map<String, List<String>> consumers, Node node,
                                          Layer.BatchNorm bn) {
        // Forwards: through Dropouts read by nothing else, into a Linear.
        if (bn.dims() == 1) {
            String next = node.id();
            while (true) {
                List<String> readers = consumersOf(consumers, next);
                if (readers.size() != 1) {
                    break;
                }
                Layer l = net.node(readers.get(0)).layer();
                if (l instanceof Layer.Dropout) {
                    next = readers.get(0);
                } else {
                    if (l instanceof Layer.Linear lin && lin.in() == bn.features()) {
                        return new Decision(node.id(), Kind.INTO_FOLLOWING, Optional.of(readers.get(0)));
                    }
                    break;
                }
            }
        }
        return new Decision(node.id(), Kind.SCALE_SHIFT, Optional.empty());
    }

    private static List<String> consumersOf(Map<String, List<String>> consumers, String id) {
        return consumers.getOrDefault(id, List.of());
    }

    /** The decision for the BatchNorm with this id. */
    public Decision decision(String batchNormId) {
        Decision d = decisions.get(batchNormId);
        if (d == null) {
            throw new IllegalArgumentException("no BatchNorm '" + batchNormId + "' in the plan");
        }
        return d;
    }

    /** Every decision, in network order. */
    public List<Decision> decisions() {
        return new ArrayList<>(decisions.values());
    }

    /** The BatchNorm folded into this layer's output channels, if any. */
    public Optional<String> foldedIntoOutputs(String layerId) {
        return Optional.ofNullable(intoOutputs.get(layerId));
    }

    /** The layer scale folded into this ChannelLinear's output rows, if any. */
    public Optional<String> layerScaleFoldedInto(String channelLinearId) {
        return Optional.ofNullable(layerScales.get(channelLinearId));
    }

    /** Whether this layer scale is folded into the ChannelLinear it reads (and so writes no node of its own). */
    public boolean isFoldedLayerScale(String layerScaleId) {
        return layerScales.containsValue(layerScaleId);
    }

    /** The BatchNorm folded into this Linear's input features, if any. */
    public Optional<String> foldedIntoInputs(String layerId) {
        return Optional.ofNullable(intoInputs.get(layerId));
    }
}
