package dev.graft.models.spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A whole network as data: nodes in execution order, where the body ends and the head begins, and the layer groups.
 *
 * <p>This is the one description every Graft part reads: the trainer builds engine blocks from it, the exporter writes
 * ONNX nodes from it, the summary and the drawing print it. It is immutable and validated when built: ids are unique,
 * every input names an earlier node, channels agree from node to node, and every node sits in exactly one layer group.
 * Build one with {@link #builder()}, or get one from {@code dev.graft.models.arch.Architectures}.
 */
public final class Network {
    /** The id a node uses to read the network's input image. */
    public static final String INPUT = "input";

    private final String arch;
    private final int inputChannels;
    private final List<Node> nodes;
    private final String bodyEnd;
    private final List<LayerGroup> groups;
    private final Map<String, Node> byId;
    private final int headIndex;

    private Network(Builder b) {
        this.arch = Objects.requireNonNull(b.arch, "arch");
        this.inputChannels = b.inputChannels;
        this.nodes = List.copyOf(b.nodes);
        this.groups = List.copyOf(b.groups);
        if (inputChannels <= 0) {
            throw new IllegalArgumentException("input channels must be positive, not " + inputChannels);
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one node");
        }
        Map<String, Node> ids = new LinkedHashMap<>();
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                if (!in.equals(INPUT) && !ids.containsKey(in)) {
                    throw new IllegalArgumentException("node " + n.id() + " reads '" + in + "', which is not an earlier node");
                }
            }
            if (ids.put(n.id(), n) != null) {
                throw new IllegalArgumentException("duplicate node id " + n.id());
            }
        }
        this.byId = Collections.unmodifiableMap(ids);
        this.bodyEnd = b.bodyEnd == null ? nodes.get(nodes.size() - 1).id() : b.bodyEnd;
        if (!ids.containsKey(bodyEnd)) {
            throw new IllegalArgumentException("body end '" + bodyEnd + "' is not a node");
        }
        this.headIndex = indexOf(bodyEnd) + 1;
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one layer group");
        }
        for (Node n : nodes) {
            long in = groups.stream().filter(g -> g.contains(n.id())).count();
            if (in != 1) {
                throw new IllegalArgumentException("node " + n.id() + " is in " + in + " layer groups; it must be in exactly one");
            }
        }
        Shapes.validateChannels(this);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts as a copy of this network. */
    public Builder toBuilder() {
        Builder b = new Builder().arch(arch).inputChannels(inputChannels).bodyEnd(bodyEnd);
        b.nodes.addAll(nodes);
        b.groups.addAll(groups);
        return b;
    }

    /** The architecture's name, e.g. {@code resnet34}; {@code custom} for hand-built networks. */
    public String arch() {
        return arch;
    }

    /** Channels of the input image (3 for RGB; fastai's n_in). */
    public int inputChannels() {
        return inputChannels;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Node node(String id) {
        Node n = byId.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id + " in " + arch);
        }
        return n;
    }

    public Optional<Node> findNode(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The id of the body's last node: the cut point. */
    public String bodyEnd() {
        return bodyEnd;
    }

    /** The id of the head's first node, or empty when the network has no head. */
    public Optional<String> headStart() {
        return headIndex < nodes.size() ? Optional.of(nodes.get(headIndex).id()) : Optional.empty();
    }

    /** The pretrained (or randomly initialised) backbone, cut at its cut point. */
    public List<Node> bodyNodes() {
        return nodes.subList(0, headIndex);
    }

    /** What was added on top of the body. */
    public List<Node> headNodes() {
        return nodes.subList(headIndex, nodes.size());
    }

    public boolean isHead(Node n) {
        return indexOf(n.id()) >= headIndex;
    }

    /** The node whose output is the network's output. */
    public Node output() {
        return nodes.get(nodes.size() - 1);
    }

    public List<LayerGroup> groups() {
        return groups;
    }

    /** The index of the layer group this node belongs to. */
    public int groupOf(String nodeId) {
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).contains(nodeId)) {
                return i;
            }
        }
        throw new IllegalArgumentException("node " + nodeId + " is in no layer group");
    }

    /**
     * The top-level modules of the body in order ({@code conv1, bn1, relu, maxpool, layer1, ...}): the children fastai
     * indexes when it names the body's parameters {@code 0.<child index>.*}.
     */
    public List<String> bodyChildren() {
        Set<String> children = new LinkedHashSet<>();
        for (Node n : bodyNodes()) {
            children.add(n.topLevel());
        }
        return List.copyOf(children);
    }

    /**
     * Every parameter and buffer by full name, in the order of PyTorch's {@code state_dict()}: modules in the order
     * their first node runs, and a module's own parameters before those of its submodules. The two orders differ only
     * where a module holds a parameter it applies after its submodules ran (a ConvNeXt block's {@code layer_scale}
     * comes before its {@code block.0.weight}).
     */
    public Map<String, Param> params() {
        return params(nodes);
    }

    /** The parameters of these nodes in {@code state_dict()} order, as {@link #params()} explains. */
    public static Map<String, Param> params(List<Node> nodes) {
        ModulePath root = new ModulePath();
        for (Node n : nodes) {
            ModulePath m = root;
            for (String part : n.id().split("\\.")) {
                m = m.children.computeIfAbsent(part, k -> new ModulePath());
            }
            for (Param p : n.layer().params()) {
                m.own.put(n.paramName(p), p);
            }
        }
        Map<String, Param> all = new LinkedHashMap<>();
        root.collect(all);
        return all;
    }

    /** One module of the PyTorch module tree the node ids spell out. */
    private static final class ModulePath {
        private final Map<String, ModulePath> children = new LinkedHashMap<>();
        private final Map<String, Param> own = new LinkedHashMap<>();

        void collect(Map<String, Param> into) {
            into.putAll(own);
            for (ModulePath child : children.values()) {
                child.collect(into);
            }
        }
    }

    /** The number of learnable parameters in these nodes. */
    public static long learnableCount(List<Node> nodes) {
        long count = 0;
        for (Node n : nodes) {
            for (Param p : n.layer().params()) {
                if (p.learnable()) {
                    count += p.size();
                }
            }
        }
        return count;
    }

    /** Learnable parameters of the whole network. */
    public long learnableCount() {
        return learnableCount(nodes);
    }

    /** Which nodes read each node's output; the network output has none. */
    public Map<String, List<String>> consumers() {
        Map<String, List<String>> out = new HashMap<>();
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                out.computeIfAbsent(in, k -> new ArrayList<>()).add(n.id());
            }
        }
        return out;
    }

    /**
     * Every BatchNorm that can be folded into the weighted layer before it, in network order: the BatchNorm reads,
     * directly or through Dropouts that nothing else reads, a Conv2d (2-d BatchNorm) or Linear (1-d) with as many
     * output channels as it normalises, and nothing else reads that layer's output. Anything else that reads the
     * layer's output would see it un-normalised, so such a BatchNorm is in no pair.
     */
    public List<BatchNormPair> batchNormPairs() {
        Map<String, List<String>> readers = consumers();
        List<BatchNormPair> pairs = new ArrayList<>();
        for (Node n : nodes) {
            if (!(n.layer() instanceof Layer.BatchNorm bn)) {
                continue;
            }
            List<Node> dropouts = new ArrayList<>();
            String prev = n.inputs().get(0);
            while (!prev.equals(INPUT) && node(prev).layer() instanceof Layer.Dropout
                    && readers.getOrDefault(prev, List.of()).size() == 1) {
                dropouts.add(0, node(prev));
                prev = node(prev).inputs().get(0);
            }
            if (prev.equals(INPUT) || readers.getOrDefault(prev, List.of()).size() != 1) {
                continue;
            }
            Layer p = node(prev).layer();
            if ((bn.dims() == 2 && p instanceof Layer.Conv2d c && c.out() == bn.features())
                    || (bn.dims() == 1 && p instanceof Layer.Linear l && l.out() == bn.features())) {
                pairs.add(new BatchNormPair(node(prev), n, dropouts));
            }
        }
        return pairs;
    }

    private int indexOf(String id) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Network other
            && arch.equals(other.arch)
            && inputChannels == other.inputChannels
            && nodes.equals(other.nodes)
            && bodyEnd.equals(other.bodyEnd)
            && groups.equals(other.groups);
    }

    @Override
    public int hashCode() {
        return Objects.hash(arch, inputChannels, nodes, bodyEnd, groups);
    }

    @Override
    public String toString() {
        return "Network[" + arch + ", " + nodes.size() + " nodes, body ends at " + bodyEnd + "]";
    }

    /**
     * Builds a network node by node. {@link #add(String, Layer)} reads the previous node's output, so sequential
     * networks need no wiring; joins name their inputs with {@link #add(String, Layer, String...)}.
     */
    public static final class Builder {
        private String arch = "custom";
        private int inputChannels = 3;
        private final List<Node> nodes = new ArrayList<>();
        private String bodyEnd;
        private final List<LayerGroup> groups = new ArrayList<>();

        private Builder() {
        }

        public Builder arch(String arch) {
            this.arch = arch;
            return this;
        }

        public Builder inputChannels(int channels) {
            this.inputChannels = channels;
            return this;
        }

        /** Appends a node that reads the previous node's output (or the image, for the first node). */
        public Builder add(String id, Layer layer) {
            return add(id, layer, last());
        }

        /** Appends a node that reads the named nodes. */
        public Builder add(String id, Layer layer, String... inputs) {
            nodes.add(new Node(id, layer, List.of(inputs)));
            return this;
        }

        public Builder add(Node node) {
            nodes.add(node);
            return this;
        }

        public Builder addAll(List<Node> more) {
            nodes.addAll(more);
            return this;
        }

        /** The id of the last node added so far, or {@link Network#INPUT}. */
        public String last() {
            return nodes.isEmpty() ? INPUT : nodes.get(nodes.size() - 1).id();
        }

        /** Marks the last node added so far as the body's end. */
        public Builder endBody() {
            this.bodyEnd = last();
            return this;
        }

        public Builder bodyEnd(String id) {
            this.bodyEnd = id;
            return this;
        }

        public Builder group(String name, String... members) {
            groups.add(new LayerGroup(name, List.of(members)));
            return this;
        }

        public Builder groups(List<LayerGroup> all) {
            groups.clear();
            groups.addAll(all);
            return this;
        }

        public Builder clearNodes() {
            nodes.clear();
            return this;
        }

        public List<Node> nodes() {
            return Collections.unmodifiableList(nodes);
        }

        public Network build() {
            return new Network(this);
        }
    }
}
