package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import dev.graft.models.spec.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision's VGG with BatchNorm ({@code vgg11_bn} ... {@code vgg19_bn}), module for module.
 *
 * <p>{@code features} is one flat {@code nn.Sequential}: per convolution {@code Conv2d(3x3, padding 1, bias)},
 * {@code BatchNorm2d}, {@code ReLU}; a {@code MaxPool2d(2, 2)} closes each stage. The classifier reads
 * {@code AdaptiveAvgPool2d((7, 7))}, which Graft has no layer for, so the whole network serves names and counts only;
 * fastai's {@code _vgg_meta} cuts it away (cut=-2), leaving {@code features}.
 */
public final class Vgg implements Architecture {
    /** torchvision's {@code cfgs}: output channels per convolution, 0 for a max pooling. */
    private static final int[] A = {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
    private static final int[] B = {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
    private static final int[] D = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    private static final int[] E = {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512,
        512, 0};
    /** fastai's {@code _vgg_split}: {@code m[0][0][:22]}, {@code m[0][0][22:]}, the same index for every depth. */
    private static final int SPLIT = 22;

    private final String name;
    private final int[] cfg;

    private Vgg(String name, int[] cfg) {
        this.name = name;
        this.cfg = cfg;
    }

    public static Vgg vgg11bn() {
        return new Vgg("vgg11_bn", A);
    }

    public static Vgg vgg13bn() {
        return new Vgg("vgg13_bn", B);
    }

    public static Vgg vgg16bn() {
        return new Vgg("vgg16_bn", D);
    }

    public static Vgg vgg19bn() {
        return new Vgg("vgg19_bn", E);
    }

    /**
     * This architecture with every channel count divided by {@code divisor}, named {@code <name>_narrow<divisor>}:
     * the same layout, cut and split at a fraction of the compute, for training tests that must finish in seconds.
     * Not a torchvision network: no pretrained file fits it.
     */
    public Vgg narrowed(int divisor) {
        int[] narrow = cfg.clone();
        for (int i = 0; i < narrow.length; i++) {
            if (narrow[i] % divisor != 0) {
                throw new IllegalArgumentException(name + " cannot be narrowed by " + divisor);
            }
            narrow[i] /= divisor;
        }
        return new Vgg(name + "_narrow" + divisor, narrow);
    }

    @Override
    public String name() {
        return name;
    }

    private int featureCount() {
        int n = 0;
        for (int v : cfg) {
            n += v == 0 ? 1 : 3;
        }
        return n;
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        Blocks f = new Blocks("input");
        int in = inputChannels;
        int i = 0;
        for (int v : cfg) {
            if (v == 0) {
                f.add("features." + i++, new Layer.MaxPool(2, 2, 0));
            } else {
                f.add("features." + i++, Layer.Conv2d.square(in, v, 3, 1, 1, true));
                f.add("features." + i++, Layer.BatchNorm.of2d(v));
                f.add("features." + i++, new Layer.Relu());
                in = v;
            }
        }
        return PlainClassifier.children(f, "AdaptiveAvgPool2d((7, 7))", List.of(
            new Layer.Linear(in * 7 * 7, 4096, true), new Layer.Relu(), new Layer.Dropout(0.5),
            new Layer.Linear(4096, 4096, true), new Layer.Relu(), new Layer.Dropout(0.5),
            new Layer.Linear(4096, numClasses, true)));
    }

    @Override
    public Cut defaultCut() {
        return Cut.index(-2);
    }

    @Override
    public String fastaiMeta() {
        return "fastai's _vgg_meta: cut=-2, split=_vgg_split (features[:22], features[22:], head)";
    }

    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        return Blocks.featureGroups(bodyChildren, featureCount(), SPLIT);
    }

    /** The three children every plain stack ends with: {@code features}, {@code avgpool}, {@code classifier}. */
    static final class PlainClassifier {
        private PlainClassifier() {
        }

        static List<Child> children(Blocks features, String avgpool, List<Layer> classifier) {
            List<Child> children = new ArrayList<>();
            children.add(new Child("features", features.nodes()));
            children.add(new Child("avgpool",
                List.of(new Node("avgpool", new Layer.AvgPool(), List.of(features.last()))), avgpool));
            Blocks c = new Blocks("avgpool");
            // torch.flatten is a function call in forward, not a module: it travels with the classifier.
            c.add("classifier.flatten", new Layer.Flatten());
            for (int i = 0; i < classifier.size(); i++) {
                c.add("classifier." + i, classifier.get(i));
            }
            children.add(new Child("classifier", c.nodes()));
            return children;
        }
    }
}
