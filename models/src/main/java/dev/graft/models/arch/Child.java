package dev.graft.models.arch;

import dev.graft.models.spec.Node;
import java.util.List;

/**
 * One top-level module of a backbone, as {@code model.children()} lists it in PyTorch.
 *
 * <p>fastai cuts a backbone by these children ({@code children()[:cut]}) and numbers the body's parameters by their
 * index ({@code 0.4.0.conv1.weight} is child 4, {@code layer1}), so Graft keeps them.
 *
 * <p>A child Graft cannot run (VGG's and AlexNet's {@code AdaptiveAvgPool2d((7, 7))}, which no layer kind computes)
 * is kept as a placeholder with {@code unsupported} naming the PyTorch module: the list of children, their names and
 * parameter counts stay torchvision's, fastai's cut still finds it, and a cut that would keep it is refused.
 *
 * @param name the module's attribute name ({@code conv1}, {@code layer3}, {@code fc})
 * @param nodes the nodes it runs, in order
 * @param unsupported the PyTorch module this child stands for when Graft cannot compute it, else null
 */
public record Child(String name, List<Node> nodes, String unsupported) {
    public Child {
        nodes = List.copyOf(nodes);
    }

    public Child(String name, List<Node> nodes) {
        this(name, nodes, null);
    }

    /** True when the child holds a pooling layer: fastai's rule for where to cut when no cut is given. */
    public boolean hasPool() {
        return nodes.stream().anyMatch(n -> switch (n.layer().kind()) {
            case "maxpool", "avg_pool", "avg_pool2d", "concat_pool" -> true;
            default -> false;
        });
    }

    /** True when Graft can compute this child (see {@link #unsupported()}). */
    public boolean supported() {
        return unsupported == null;
    }
}
