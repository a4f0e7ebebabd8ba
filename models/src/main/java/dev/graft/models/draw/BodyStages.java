package dev.graft.models.draw;

import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collapses a body into the stages a drawing shows, using nothing but node ids and layer groups.
 *
 * <p>Why by id: node ids are PyTorch module paths, so the body's top-level children ({@link Network#bodyChildren()})
 * are the modules people know. The rules, in order:
 * <ol>
 *   <li>Consecutive nodes of the same top-level child form a unit ({@code layer1}). When the whole body is one child
 *       ({@code features} of a MobileNet), units go one level deeper ({@code features.0}, {@code features.1}, ...).</li>
 *   <li>Consecutive single-module units ({@code conv1}, {@code bn1}, {@code relu}, {@code maxpool}) become one stage,
 *       called {@code stem} when it opens the body. Such a run ends after a max pooling, so a plain stack (VGG's and
 *       AlexNet's {@code features}) shows one stage per resolution, as its papers draw it.</li>
 *   <li>A unit whose numbered submodules are single layers ({@code features.0.0}, {@code features.0.1}: a
 *       torchvision {@code nn.Sequential} of layers, such as ConvNeXt's stem and downsampling layers) is a short
 *       sequence, not blocks: it lists its layer kinds, says "downsampling" when it lowers the resolution, and is
 *       called {@code stem} when it opens the body.</li>
 *   <li>A stage never spans two layer groups, so freezing and learning rates read off the boxes.</li>
 *   <li>Beyond {@value #MAX_STAGES} stages, neighbours whose output has the same resolution merge, which is how the
 *       literature draws MobileNets and EfficientNets.</li>
 * </ol>
 */
public final class BodyStages {
    /** More boxes than this and the drawing stops being an overview. */
    public static final int MAX_STAGES = 12;

    private BodyStages() {
    }

    /** The stages of {@code net}'s body, with shapes inferred at {@code height x width}. */
    public static List<Stage> of(Network net, int height, int width) {
        Map<String, int[]> shapes = Shapes.infer(net, height, width);
        List<Node> body = net.bodyNodes();
        int depth = body.size() > 1 && net.bodyChildren().size() == 1 ? 2 : 1;

        List<Unit> units = new ArrayList<>();
        for (Node n : body) {
            String key = prefix(n.id(), depth);
            int group = net.groupOf(n.id());
            Unit last = units.isEmpty() ? null : units.get(units.size() - 1);
            if (last != null && last.key.equals(key) && last.group == group) {
                last.nodes.add(n);
            } else {
                units.add(new Unit(key, group, n));
            }
        }

        List<Draft> drafts = new ArrayList<>();
        for (Unit u : units) {
            Draft last = drafts.isEmpty() ? null : drafts.get(drafts.size() - 1);
            if (u.leaf() && last != null && last.leafRun && last.group == u.group && !last.endsWithPool()) {
                last.units.add(u);
            } else {
                drafts.add(new Draft(u));
            }
        }

        if (drafts.size() > MAX_STAGES) {
            List<Draft> merged = new ArrayList<>();
            for (Draft d : drafts) {
                Draft last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
                if (last != null && !last.leafRun && !d.leafRun && last.group == d.group
                    && Arrays.equals(spatial(shapes.get(last.lastNode().id())), spatial(shapes.get(d.lastNode().id())))) {
                    last.units.addAll(d.units);
                } else {
                    merged.add(d);
                }
            }
            drafts = merged;
        }

        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < drafts.size(); i++) {
            Draft d = drafts.get(i);
            int[] before = i == 0 ? new int[] {net.inputChannels(), height, width}
                : shapes.get(drafts.get(i - 1).lastNode().id());
            boolean downsamples = spatial(shapes.get(d.lastNode().id())).length == 2 && spatial(before).length == 2
                && spatial(shapes.get(d.lastNode().id()))[0] < spatial(before)[0];
            stages.add(d.toStage(i == 0 && drafts.size() > 1, depth, downsamples));
        }
        return stages;
    }

    private static int[] spatial(int[] shape) {
        return shape.length == 3 ? new int[] {shape[1], shape[2]} : new int[0];
    }

    /** The first {@code depth} dot-separated components of an id. */
    static String prefix(String id, int depth) {
        int at = -1;
        for (int i = 0; i < depth; i++) {
            at = id.indexOf('.', at + 1);
            if (at < 0) {
                return id;
            }
        }
        return id.substring(0, at);
    }

    private static boolean numeric(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    private static final class Unit {
        final String key;
        final int group;
        final List<Node> nodes = new ArrayList<>();

        Unit(String key, int group, Node first) {
            this.key = key;
            this.group = group;
            nodes.add(first);
        }

        /** A single module such as {@code conv1}: one node whose id is the unit's key. */
        boolean leaf() {
            return nodes.size() == 1 && nodes.get(0).id().equals(key);
        }

        /**
         * True when every node is a numbered submodule of the unit ({@code features.2.0}, {@code features.2.1}): a
         * sequence of single layers rather than of blocks.
         */
        boolean layerSequence(int depth) {
            return nodes.size() > 1 && nodes.stream().allMatch(n -> !n.id().equals(key)
                && n.id().equals(prefix(n.id(), depth + 1)) && numeric(n.id().substring(n.id().lastIndexOf('.') + 1)));
        }

        /** {@code 3 blocks: layer1.0 … layer1.2} when the unit is a sequence of numbered blocks, else a layer count. */
        String describe(int depth) {
            Set<String> subs = new LinkedHashSet<>();
            for (Node n : nodes) {
                // a dense block's closing concatenation joins its layers; it is not one of them
                if (!(n.layer() instanceof dev.graft.models.spec.Layer.Concat && n.id().equals(prefix(n.id(), depth + 1))
                    && !n.id().equals(key))) {
                    subs.add(prefix(n.id(), depth + 1));
                }
            }
            List<String> list = List.copyOf(subs);
            boolean numbered = list.size() > 1 && list.stream().map(s -> s.substring(s.lastIndexOf('.') + 1))
                .allMatch(last -> numeric(last.replaceFirst("^[a-z_]*", ""))
                    && last.replaceFirst("[0-9]+$", "").equals(
                        list.get(0).substring(list.get(0).lastIndexOf('.') + 1).replaceFirst("[0-9]+$", "")));
            if (numbered) {
                return list.size() + " blocks: " + list.get(0) + " … " + list.get(list.size() - 1);
            }
            return nodes.size() == 1 ? nodes.get(0).id() : nodes.size() + " layers";
        }
    }

    private static final class Draft {
        final List<Unit> units = new ArrayList<>();
        final boolean leafRun;
        final int group;

        Draft(Unit first) {
            units.add(first);
            leafRun = first.leaf();
            group = first.group;
        }

        boolean endsWithPool() {
            return lastNode().layer() instanceof dev.graft.models.spec.Layer.MaxPool;
        }

        Node lastNode() {
            List<Node> last = units.get(units.size() - 1).nodes;
            return last.get(last.size() - 1);
        }

        Stage toStage(boolean opensBody, int depth, boolean downsamples) {
            List<Node> nodes = new ArrayList<>();
            units.forEach(u -> nodes.addAll(u.nodes));
            String first = units.get(0).key;
            String last = units.get(units.size() - 1).key;
            String name;
            String members;
            if (leafRun) {
                name = units.size() == 1 ? first : opensBody ? "stem" : first + " … " + last;
                members = String.join(" · ", units.stream().map(u -> u.key).toList());
            } else if (units.size() == 1 && units.get(0).layerSequence(depth)) {
                name = opensBody ? "stem" : first;
                String kinds = String.join(" · ", nodes.stream().map(n -> n.layer().kind()).toList());
                members = downsamples && !opensBody ? "downsampling: " + kinds : kinds;
            } else if (units.size() == 1) {
                name = first;
                members = units.get(0).describe(depth);
            } else {
                name = first + " … " + last;
                members = units.size() + " modules, " + nodes.size() + " layers";
            }
            return new Stage(name, nodes, members, group);
        }
    }
}
