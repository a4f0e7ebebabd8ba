package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import java.util.List;

/**
 * torchvision's AlexNet (the one-tower variant of "One weird trick"), module for module.
 *
 * <p>Every convolution carries a bias and there is no BatchNorm. {@code features} needs at least 63 x 63 pixels: below
 * that the last max pooling receives less than its 3 x 3 window, which shape inference refuses before anything runs.
 * The classifier reads {@code AdaptiveAvgPool2d((6, 6))}, which Graft has no layer for; fastai's
 * {@code _alexnet_meta} cuts it away (cut=-2), leaving {@code features}.
 */
public final class AlexNet implements Architecture {
    private static final int FEATURES = 13;
    /** fastai's {@code _alexnet_split}: {@code m[0][0][:6]}, {@code m[0][0][6:]}. */
    private static final int SPLIT = 6;

    private final int divisor;

    private AlexNet(int divisor) {
        this.divisor = divisor;
    }

    public static AlexNet alexnet() {
        return new AlexNet(1);
    }

    /**
     * AlexNet with every channel count divided by {@code divisor} (one of 1, 2, 4, 8, 16, 32, 64), named
     * {@code alexnet_narrow<divisor>}: the same layout, cut and split at a fraction of the compute, for training
     * tests that must finish in seconds. Not a torchvision network: no pretrained file fits it.
     */
    public AlexNet narrowed(int d) {
        if (d < 1 || 64 % d != 0) {
            throw new IllegalArgumentException("alexnet cannot be narrowed by " + d);
        }
        return new AlexNet(d);
    }

    @Override
    public String name() {
        return divisor == 1 ? "alexnet" : "alexnet_narrow" + divisor;
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        Blocks f = new Blocks("input");
        f.add("features.0", Layer.Conv2d.square(inputChannels, 64 / divisor, 11, 4, 2, true));
        f.add("features.1", new Layer.Relu());
        f.add("features.2", new Layer.MaxPool(3, 2, 0));
        f.add("features.3", Layer.Conv2d.square(64 / divisor, 192 / divisor, 5, 1, 2, true));
        f.add("features.4", new Layer.Relu());
        f.add("features.5", new Layer.MaxPool(3, 2, 0));
        f.add("features.6", Layer.Conv2d.square(192 / divisor, 384 / divisor, 3, 1, 1, true));
        f.add("features.7", new Layer.Relu());
        f.add("features.8", Layer.Conv2d.square(384 / divisor, 256 / divisor, 3, 1, 1, true));
        f.add("features.9", new Layer.Relu());
        f.add("features.10", Layer.Conv2d.square(256 / divisor, 256 / divisor, 3, 1, 1, true));
        f.add("features.11", new Layer.Relu());
        f.add("features.12", new Layer.MaxPool(3, 2, 0));
        return Vgg.PlainClassifier.children(f, "AdaptiveAvgPool2d((6, 6))", List.of(
            new Layer.Dropout(0.5), new Layer.Linear(256 / divisor * 6 * 6, 4096, true), new Layer.Relu(),
            new Layer.Dropout(0.5), new Layer.Linear(4096, 4096, true), new Layer.Relu(),
            new Layer.Linear(4096, numClasses, true)));
    }

    @Override
    public Cut defaultCut() {
        return Cut.index(-2);
    }

    @Override
    public String fastaiMeta() {
        return "fastai's _alexnet_meta: cut=-2, split=_alexnet_split (features[:6], features[6:], head)";
    }

    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        return Blocks.featureGroups(bodyChildren, FEATURES, SPLIT);
    }
}
