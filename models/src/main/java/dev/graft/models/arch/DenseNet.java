package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision's DenseNet-BC ({@code densenet121}, {@code 169}, {@code 201}, {@code 161}), module for module.
 *
 * <p>{@code features} holds {@code conv0}, {@code norm0}, {@code relu0}, {@code pool0}, four dense blocks with a
 * transition (BatchNorm, ReLU, 1x1 convolution halving the channels, 2x2 stride-2 average pooling) between each, and
 * {@code norm5}. Each dense layer reads the concatenation of the block's input and every earlier layer's output
 * ({@code norm1}, {@code relu1}, 1x1 {@code conv1} to {@code bn_size x growth} channels, {@code norm2}, {@code relu2},
 * 3x3 {@code conv2} to {@code growth} channels); the block's output is the concatenation of all of them. The
 * concatenations are functional in torchvision ({@code torch.cat}) and hold no parameters; here they are nodes named
 * {@code denselayerN.cat} and {@code denseblockN.cat}.
 *
 * <p>torchvision's forward applies a ReLU, a global average pool and a flatten to {@code features} before the
 * classifier, all functional; they travel with the {@code classifier} child. fastai's {@code _densenet_meta} cuts at
 * -1, so its body is {@code features} alone and ends at {@code norm5}: the head sees features before that ReLU.
 */
public final class DenseNet implements Architecture {
    private static final int BN_SIZE = 4;
    /** fastai's {@code _densenet_split}: {@code m[0][0][:7]} (up to {@code denseblock2}), {@code m[0][0][7:]}. */
    private static final int SPLIT = 7;

    private final String name;
    private final int growth;
    private final int[] blocks;
    private final int initFeatures;

    private DenseNet(String name, int growth, int[] blocks, int initFeatures) {
        this.name = name;
        this.growth = growth;
        this.blocks = blocks;
        this.initFeatures = initFeatures;
    }

    public static DenseNet densenet121() {
        return new DenseNet("densenet121", 32, new int[] {6, 12, 24, 16}, 64);
    }

    public static DenseNet densenet169() {
        return new DenseNet("densenet169", 32, new int[] {6, 12, 32, 32}, 64);
    }

    public static DenseNet densenet201() {
        return new DenseNet("densenet201", 32, new int[] {6, 12, 48, 32}, 64);
    }

    public static DenseNet densenet161() {
        return new DenseNet("densenet161", 48, new int[] {6, 12, 36, 24}, 96);
    }

    /**
     * This DenseNet with its growth rate and initial features divided by {@code divisor} and each block cut to at
     * most {@code maxLayers} layers, named {@code <name>_narrow<divisor>}: the same modules, cut and split at a
     * fraction of the compute, for tests that must finish in seconds. Not a torchvision network.
     */
    public DenseNet narrowed(int divisor, int maxLayers) {
        if (divisor < 1 || growth % divisor != 0 || initFeatures % divisor != 0 || maxLayers < 1) {
            throw new IllegalArgumentException(name + " cannot be narrowed by " + divisor);
        }
        int[] fewer = blocks.clone();
        for (int i = 0; i < fewer.length; i++) {
            fewer[i] = Math.min(fewer[i], maxLayers);
        }
        return new DenseNet(name + "_narrow" + divisor, growth / divisor, fewer, initFeatures / divisor);
    }

    @Override
    public String name() {
        return name;
    }

    /** The names of {@code features}' children in order, as torchvision adds them. */
    private List<String> featureChildren() {
        List<String> names = new ArrayList<>(List.of("conv0", "norm0", "relu0", "pool0"));
        for (int b = 1; b <= blocks.length; b++) {
            names.add("denseblock" + b);
            if (b < blocks.length) {
                names.add("transition" + b);
            }
        }
        names.add("norm5");
        return names;
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        Blocks f = new Blocks("input");
        f.add("features.conv0", Layer.Conv2d.square(inputChannels, initFeatures, 7, 2, 3, false));
        f.add("features.norm0", Layer.BatchNorm.of2d(initFeatures));
        f.add("features.relu0", new Layer.Relu());
        f.add("features.pool0", new Layer.MaxPool(3, 2, 1));
        int features = initFeatures;
        for (int b = 0; b < blocks.length; b++) {
            String block = "features.denseblock" + (b + 1);
            List<String> maps = new ArrayList<>(List.of(f.last()));
            for (int l = 0; l < blocks[b]; l++) {
                String p = block + ".denselayer" + (l + 1);
                int in = features + l * growth;
                String input = maps.size() == 1 ? maps.get(0) : f.add(p + ".cat", new Layer.Concat(), maps.toArray(String[]::new));
                f.add(p + ".norm1", Layer.BatchNorm.of2d(in), input);
                f.add(p + ".relu1", new Layer.Relu());
                f.add(p + ".conv1", Layer.Conv2d.square(in, BN_SIZE * growth, 1, 1, 0, false));
                f.add(p + ".norm2", Layer.BatchNorm.of2d(BN_SIZE * growth));
                f.add(p + ".relu2", new Layer.Relu());
                maps.add(f.add(p + ".conv2", Layer.Conv2d.square(BN_SIZE * growth, growth, 3, 1, 1, false)));
            }
            f.add(block + ".cat", new Layer.Concat(), maps.toArray(String[]::new));
            features += blocks[b] * growth;
            if (b < blocks.length - 1) {
                String t = "features.transition" + (b + 1);
                f.add(t + ".norm", Layer.BatchNorm.of2d(features));
                f.add(t + ".relu", new Layer.Relu());
                f.add(t + ".conv", Layer.Conv2d.square(features, features / 2, 1, 1, 0, false));
                f.add(t + ".pool", new Layer.AvgPool2d(2, 2, 0));
                features /= 2;
            }
        }
        f.add("features.norm5", Layer.BatchNorm.of2d(features));
        Blocks c = new Blocks(f.last());
        // torchvision's forward: F.relu, F.adaptive_avg_pool2d, torch.flatten, then the classifier module
        c.add("classifier.relu", new Layer.Relu());
        c.add("classifier.avgpool", new Layer.AvgPool());
        c.add("classifier.flatten", new Layer.Flatten());
        c.add("classifier", new Layer.Linear(features, numClasses, true));
        return List.of(new Child("features", f.nodes()), new Child("classifier", c.nodes()));
    }

    @Override
    public Cut defaultCut() {
        return Cut.index(-1);
    }

    @Override
    public String fastaiMeta() {
        return "fastai's _densenet_meta: cut=-1, split=_densenet_split (features[:7], features[7:], head); "
            + "the body ends at norm5, before the ReLU torchvision's forward applies, so the head sees pre-ReLU features";
    }

    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        if (!bodyChildren.equals(List.of("features"))) {
            return List.of(new LayerGroup("body", bodyChildren));
        }
        List<String> names = featureChildren();
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            (i < SPLIT ? first : second).add("features." + names.get(i));
        }
        return List.of(new LayerGroup("body.0", first), new LayerGroup("body.1", second));
    }
}
