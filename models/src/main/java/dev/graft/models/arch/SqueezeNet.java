package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import java.util.List;

/**
 * torchvision's SqueezeNet 1.0 and 1.1, module for module.
 *
 * <p>{@code features} is one {@code nn.Sequential} of a stem convolution with bias, its ReLU, max poolings with
 * {@code ceil_mode=True} and fire modules: a 1x1 {@code squeeze} convolution and its ReLU, then {@code expand1x1} and
 * {@code expand3x3} (padding 1) each with a ReLU, concatenated along the channels ({@code torch.cat} in torchvision's
 * forward, a parameterless node {@code features.N.cat} here). The classifier is dropout, a 1x1 convolution to the
 * classes with bias, ReLU and a global average pool, flattened. fastai's {@code _squeezenet_meta} cuts at -1, keeping
 * {@code features}.
 */
public final class SqueezeNet implements Architecture {
    /** fastai's {@code _squeezenet_split}: {@code m[0][0][:5]}, {@code m[0][0][5:]}, for both versions. */
    private static final int SPLIT = 5;
    private static final int FEATURES = 13;

    private final String name;
    private final boolean v10;
    private final int divisor;

    private SqueezeNet(String name, boolean v10, int divisor) {
        this.name = name;
        this.v10 = v10;
        this.divisor = divisor;
    }

    public static SqueezeNet squeezenet10() {
        return new SqueezeNet("squeezenet1_0", true, 1);
    }

    public static SqueezeNet squeezenet11() {
        return new SqueezeNet("squeezenet1_1", false, 1);
    }

    /**
     * This SqueezeNet with every channel count divided by {@code divisor} (1, 2, 4 or 8), named
     * {@code <name>_narrow<divisor>}: the same modules, cut and split at a fraction of the compute, for tests that must
     * finish in seconds. Not a torchvision network.
     */
    public SqueezeNet narrowed(int d) {
        if (d < 1 || 16 % d != 0) {
            throw new IllegalArgumentException(name + " cannot be narrowed by " + d);
        }
        return new SqueezeNet(name + "_narrow" + d, v10, d);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        Blocks f = new Blocks("input");
        if (v10) {
            f.add("features.0", Layer.Conv2d.square(inputChannels, 96 / divisor, 7, 2, 0, true));
            f.add("features.1", new Layer.Relu());
            f.add("features.2", ceilPool());
            fire(f, 3, 96, 16, 64);
            fire(f, 4, 128, 16, 64);
            fire(f, 5, 128, 32, 128);
            f.add("features.6", ceilPool());
            fire(f, 7, 256, 32, 128);
            fire(f, 8, 256, 48, 192);
            fire(f, 9, 384, 48, 192);
            fire(f, 10, 384, 64, 256);
            f.add("features.11", ceilPool());
            fire(f, 12, 512, 64, 256);
        } else {
            f.add("features.0", Layer.Conv2d.square(inputChannels, 64 / divisor, 3, 2, 0, true));
            f.add("features.1", new Layer.Relu());
            f.add("features.2", ceilPool());
            fire(f, 3, 64, 16, 64);
            fire(f, 4, 128, 16, 64);
            f.add("features.5", ceilPool());
            fire(f, 6, 128, 32, 128);
            fire(f, 7, 256, 32, 128);
            f.add("features.8", ceilPool());
            fire(f, 9, 256, 48, 192);
            fire(f, 10, 384, 48, 192);
            fire(f, 11, 384, 64, 256);
            fire(f, 12, 512, 64, 256);
        }
        Blocks c = new Blocks(f.last());
        c.add("classifier.0", new Layer.Dropout(0.5));
        c.add("classifier.1", Layer.Conv2d.square(512 / divisor, numClasses, 1, 1, 0, true));
        c.add("classifier.2", new Layer.Relu());
        c.add("classifier.3", new Layer.AvgPool());
        // torch.flatten in forward: a function call, not a module
        c.add("classifier.flatten", new Layer.Flatten());
        return List.of(new Child("features", f.nodes()), new Child("classifier", c.nodes()));
    }

    private static Layer.MaxPool ceilPool() {
        return new Layer.MaxPool(3, 2, 0, true);
    }

    /** torchvision's {@code Fire(inplanes, squeeze, expand, expand)}: both expand branches have the same width. */
    private void fire(Blocks f, int index, int inplanes, int squeeze, int expand) {
        String p = "features." + index;
        int in = inplanes / divisor;
        int sq = squeeze / divisor;
        int ex = expand / divisor;
        f.add(p + ".squeeze", Layer.Conv2d.square(in, sq, 1, 1, 0, true));
        String s = f.add(p + ".squeeze_activation", new Layer.Relu());
        f.add(p + ".expand1x1", Layer.Conv2d.square(sq, ex, 1, 1, 0, true), s);
        String e1 = f.add(p + ".expand1x1_activation", new Layer.Relu());
        f.add(p + ".expand3x3", Layer.Conv2d.square(sq, ex, 3, 1, 1, true), s);
        String e3 = f.add(p + ".expand3x3_activation", new Layer.Relu());
        f.add(p + ".cat", new Layer.Concat(), e1, e3);
    }

    @Override
    public Cut defaultCut() {
        return Cut.index(-1);
    }

    @Override
    public String fastaiMeta() {
        return "fastai's _squeezenet_meta: cut=-1, split=_squeezenet_split (features[:5], features[5:], head)";
    }

    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        return Blocks.featureGroups(bodyChildren, FEATURES, SPLIT);
    }
}
