package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import dev.graft.models.spec.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * The building blocks torchvision's mobile networks share, written as spec nodes with torchvision's module paths.
 *
 * <p>An instance appends nodes to one child, each reading the previous one unless told otherwise, so a block reads
 * like torchvision's {@code nn.Sequential}. Functional steps that torchvision runs outside modules (the residual sum,
 * squeeze-and-excitation's product) get ids ending in {@code .add} and {@code .mul}; they hold no parameters, so
 * torchvision's parameter names are unaffected.
 */
final class Blocks {
    private final List<Node> nodes = new ArrayList<>();
    private String last;

    /** Nodes that start by reading {@code input} (a node id or {@code input}). */
    Blocks(String input) {
        this.last = input;
    }

    /** Appends a node reading the previous one; returns its id. */
    String add(String id, Layer layer) {
        return add(id, layer, last);
    }

    /** Appends a node reading the named nodes; returns its id. */
    String add(String id, Layer layer, String... inputs) {
        nodes.add(new Node(id, layer, List.of(inputs)));
        last = id;
        return id;
    }

    /** The id of the last node appended (or the input). */
    String last() {
        return last;
    }

    List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /**
     * torchvision's {@code Conv2dNormActivation}: {@code p.0} a bias-free convolution padded to keep the size
     * ({@code (k - 1) / 2}), {@code p.1} its BatchNorm, {@code p.2} the activation unless {@code activation} is null.
     */
    String convNormAct(String p, int in, int out, int kernel, int stride, int groups, Layer.BatchNorm norm,
                       Layer activation) {
        int pad = (kernel - 1) / 2;
        add(p + ".0", new Layer.Conv2d(in, out, kernel, kernel, stride, stride, pad, pad, 1, groups, false));
        add(p + ".1", new Layer.BatchNorm(out, 2, norm.eps(), norm.momentum()));
        if (activation != null) {
            add(p + ".2", activation);
        }
        return last;
    }

    /**
     * torchvision's {@code SqueezeExcitation}: global average pool, {@code fc1} (1x1 convolution with bias),
     * activation, {@code fc2}, gate, then the block's input scaled channel by channel by the gate.
     */
    String squeezeExcitation(String p, int channels, int squeeze, Layer activation, Layer gate) {
        String input = last;
        add(p + ".avgpool", new Layer.AvgPool());
        add(p + ".fc1", Layer.Conv2d.square(channels, squeeze, 1, 1, 0, true));
        add(p + ".activation", activation);
        add(p + ".fc2", Layer.Conv2d.square(squeeze, channels, 1, 1, 0, true));
        String scale = add(p + ".scale_activation", gate);
        return add(p + ".mul", new Layer.Mul(), input, scale);
    }

    /**
     * torchvision's {@code _make_divisible}: {@code v} rounded to the nearest multiple of {@code divisor}, at least
     * {@code divisor}, and never more than 10% below {@code v}.
     */
    static int makeDivisible(double v, int divisor) {
        int rounded = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
        if (rounded < 0.9 * v) {
            rounded += divisor;
        }
        return rounded;
    }

    /**
     * The two-group body split of the mobile networks: {@code features.0 .. features.(splitAt - 1)} (the
     * full-resolution stages, up to output stride 8), then the rest of {@code features} (from the first block at
     * output stride 16, where ResNet's {@code layer3} starts) with any further body children.
     */
    static List<LayerGroup> featureGroups(List<String> bodyChildren, int featureCount, int splitAt) {
        if (!bodyChildren.contains("features")) {
            return List.of(new LayerGroup("body", bodyChildren));
        }
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        for (String child : bodyChildren) {
            if (child.equals("features")) {
                for (int i = 0; i < featureCount; i++) {
                    (i < splitAt ? first : second).add("features." + i);
                }
            } else {
                (first.isEmpty() ? first : second).add(child);
            }
        }
        return List.of(new LayerGroup("body.0", first), new LayerGroup("body.1", second));
    }
}
