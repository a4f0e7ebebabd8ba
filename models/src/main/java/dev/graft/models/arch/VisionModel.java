package dev.graft.models.arch;

import dev.graft.models.GraftException;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.head.Heads;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Shapes;
import dev.graft.models.spec.Param;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * fastai's {@code create_vision_model}: a backbone cut into a body, plus a new head, split into layer groups.
 *
 * <p>Required: {@link Builder#setArch} and {@link Builder#setClasses}. Everything else defaults to fastai's behaviour
 * (the architecture's own cut, the default head, 3 input channels).
 */
public final class VisionModel {
    private VisionModel() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The torchvision network itself, classifier included (for counts and for loading whole torchvision files). */
    public static Network torchvision(String arch, int numClasses) {
        Architecture a = Architectures.get(arch);
        Network.Builder b = Network.builder().arch(a.name());
        for (Child c : a.children(3, numClasses)) {
            if (!c.supported()) {
                throw new GraftException("the whole " + a.name() + " cannot run in Graft: its " + c.name() + " ("
                    + c.unsupported() + ") has no layer kind; use its body (the default cut)");
            }
            b.addAll(c.nodes());
        }
        List<String> all = a.children(3, numClasses).stream().map(Child::name).toList();
        return b.group("all", all.toArray(String[]::new)).build();
    }

    /**
     * Every parameter and buffer of the whole torchvision network by name, in {@code state_dict()} order: works for
     * every architecture, including those whose classifier Graft cannot run (see {@link Child#unsupported()}).
     */
    public static Map<String, Param> torchvisionParams(String arch, int numClasses) {
        List<Node> nodes = new ArrayList<>();
        for (Child c : Architectures.get(arch).children(3, numClasses)) {
            nodes.addAll(c.nodes());
        }
        return Network.params(nodes);
    }

    /** Learnable parameters of the whole torchvision network (what {@code sum(p.numel() for p in m.parameters())} gives). */
    public static long torchvisionCount(String arch, int numClasses) {
        return torchvisionParams(arch, numClasses).values().stream().filter(Param::learnable).mapToLong(Param::size).sum();
    }

    /** Settings for one body + head network. */
    public static final class Builder {
        private Architecture arch;
        private int classes = -1;
        private int inputChannels = 3;
        private Cut cut;
        private HeadOptions head = HeadOptions.defaults();
        private List<Layer> customHead;

        private Builder() {
        }

        public Builder setArch(String name) {
            this.arch = Architectures.get(name);
            return this;
        }

        public Builder setArch(Architecture architecture) {
            this.arch = architecture;
            return this;
        }

        /** Outputs of the head: classes for classification, targets for regression. */
        public Builder setClasses(int n) {
            this.classes = n;
            return this;
        }

        /** fastai's n_in: channels of the input images (the first convolution is rebuilt for them). */
        public Builder optInputChannels(int n) {
            this.inputChannels = n;
            return this;
        }

        public Builder optCut(Cut c) {
            this.cut = c;
            return this;
        }

        public Builder optHead(HeadOptions options) {
            this.head = options;
            return this;
        }

        /** A head of your own instead of fastai's: these layers, in order, read the body's output. */
        public Builder optCustomHead(List<Layer> layers) {
            this.customHead = layers == null ? null : List.copyOf(layers);
            return this;
        }

        public Network build() {
            if (arch == null) {
                throw new GraftException("a vision model needs an architecture");
            }
            if (classes <= 0) {
                throw new GraftException("--classes must be at least 1, not " + classes);
            }
            if (inputChannels <= 0) {
                throw new GraftException("--n-in must be at least 1, not " + inputChannels);
            }
            Cut used = cut == null ? arch.defaultCut() : cut;
            List<Child> body = used.apply(arch.children(inputChannels, 1000));
            for (Child c : body) {
                if (!c.supported()) {
                    throw new GraftException("cut " + used + " keeps " + arch.name() + "'s " + c.name() + " ("
                        + c.unsupported() + "), which Graft cannot compute; cut before it (" + arch.name()
                        + "'s default cut is " + arch.defaultCut() + ")");
                }
            }
            Network.Builder b = Network.builder().arch(arch.name()).inputChannels(inputChannels);
            body.forEach(c -> b.addAll(c.nodes()));
            b.endBody();
            Network bodyOnly = b.groups(List.of(new LayerGroup("body", body.stream().map(Child::name).toList()))).build();
            Map<String, int[]> shapes = Shapes.infer(bodyOnly, 224, 224);
            int[] out = shapes.get(bodyOnly.bodyEnd());
            int nf = out[0];
            List<Layer> headLayers = customHead != null ? customHead : Heads.layers(nf, classes, head);
            List<Node> headNodes = Heads.nodes(headLayers, bodyOnly.bodyEnd());
            b.addAll(headNodes);
            List<LayerGroup> groups = new ArrayList<>(arch.bodyGroups(body.stream().map(Child::name).toList()));
            if (!headNodes.isEmpty()) {
                groups.add(new LayerGroup(Heads.PREFIX, List.of(Heads.PREFIX)));
            }
            try {
                return b.groups(groups).build();
            } catch (IllegalArgumentException e) {
                throw new GraftException("the head does not fit the body: " + e.getMessage());
            }
        }
    }
}
