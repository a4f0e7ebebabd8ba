package dev.graft.models.draw;

import dev.graft.models.spec.Node;
import java.util.List;

/**
 * A run of body nodes drawn as one box: a ResNet's stem or one of its {@code layerN}, a MobileNet's
 * {@code features.N}.
 *
 * <p>The body of a backbone has hundreds of nodes; what a reader needs is where the resolution drops and the
 * channels grow, and which parts train. Stages are that level of detail.
 *
 * @param name the label drawn, e.g. {@code stem}, {@code layer1}, {@code features.4 … features.6}
 * @param nodes the body nodes in the stage, in execution order (never empty)
 * @param members what the stage is made of, in one short line ({@code conv1 · bn1 · relu · maxpool},
 *     {@code 3 blocks: layer1.0 … layer1.2})
 * @param group the index of the layer group every node of the stage belongs to
 */
public record Stage(String name, List<Node> nodes, String members, int group) {
    public Stage {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("stage " + name + " has no nodes");
        }
    }

    /** The stage's last node: its output is the stage's output. */
    public Node last() {
        return nodes.get(nodes.size() - 1);
    }
}
