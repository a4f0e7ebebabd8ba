package dev.graft.models.arch;

import dev.graft.models.spec.Node;
import java.util.List;

/**
 * One top-level module of a backbone, as {@code model.children()} lists it in PyTorch.
 *
 * <p>fastai cuts a backbone by these children ({@code children()[:cut]}) and numbers the body's parameters by their
 * index ({@code 0.4.0.conv1.weight} is child 4, {@code layer1}), so Graft keeps them.
 *
 * @param name the module's attribute name ({@code conv1}, {@code layer3}, {@code fc})
 * @param nodes the nodes it runs, in order
 */
public record Child(String name, List<Node> nodes) {
    public Child {
        nodes = List.copyOf(nodes);
    }

    /** True when the child holds a pooling layer: fastai's rule for where to cut when no cut is given. */
    public boolean hasPool() {
        return nodes.stream().anyMatch(n -> switch (n.layer().kind()) {
            case "maxpool", "avg_pool", "concat_pool" -> true;
            default -> false;
        });
    }
}
