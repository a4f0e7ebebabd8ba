package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import java.util.List;

/**
 * torchvision's MobileNetV3, large and small (width 1.0, no dilation, full tail): inverted residual blocks with
 * optional squeeze-and-excitation (ReLU inside, Hardsigmoid gate), ReLU or Hardswish activations, and BatchNorm with
 * eps 0.001 and momentum 0.01.
 *
 * <p>Module paths are torchvision's ({@code features.4.block.2.fc1.weight}). Whole networks at 1000 classes:
 * 5,483,032 (large) and 2,542,856 (small) parameters; the bodies ({@code features}) 2,971,952 and 927,008, ending
 * with 960 and 576 channels. torchvision's {@code children()} are {@code features}, {@code avgpool} and
 * {@code classifier}, so fastai's default cut ({@code -2}, or the automatic one) keeps {@code features}.
 */
public final class MobileNetV3 implements Architecture {
    /** One bneck row: input, kernel, expanded, output channels, SE, Hardswish, stride. */
    private record Bneck(int in, int kernel, int expanded, int out, boolean se, boolean hardswish, int stride) {
    }

    private static final List<Bneck> LARGE = List.of(
        new Bneck(16, 3, 16, 16, false, false, 1),
        new Bneck(16, 3, 64, 24, false, false, 2),
        new Bneck(24, 3, 72, 24, false, false, 1),
        new Bneck(24, 5, 72, 40, true, false, 2),
        new Bneck(40, 5, 120, 40, true, false, 1),
        new Bneck(40, 5, 120, 40, true, false, 1),
        new Bneck(40, 3, 240, 80, false, true, 2),
        new Bneck(80, 3, 200, 80, false, true, 1),
        new Bneck(80, 3, 184, 80, false, true, 1),
        new Bneck(80, 3, 184, 80, false, true, 1),
        new Bneck(80, 3, 480, 112, true, true, 1),
        new Bneck(112, 3, 672, 112, true, true, 1),
        new Bneck(112, 5, 672, 160, true, true, 2),
        new Bneck(160, 5, 960, 160, true, true, 1),
        new Bneck(160, 5, 960, 160, true, true, 1));

    private static final List<Bneck> SMALL = List.of(
        new Bneck(16, 3, 16, 16, true, false, 2),
        new Bneck(16, 3, 72, 24, false, false, 2),
        new Bneck(24, 3, 88, 24, false, false, 1),
        new Bneck(24, 5, 96, 40, true, true, 2),
        new Bneck(40, 5, 240, 40, true, true, 1),
        new Bneck(40, 5, 240, 40, true, true, 1),
        new Bneck(40, 5, 120, 48, true, true, 1),
        new Bneck(48, 5, 144, 48, true, true, 1),
        new Bneck(48, 5, 288, 96, true, true, 2),
        new Bneck(96, 5, 576, 96, true, true, 1),
        new Bneck(96, 5, 576, 96, true, true, 1));

    private static final Layer.BatchNorm NORM = new Layer.BatchNorm(1, 2, 0.001, 0.01);

    private final String name;
    private final List<Bneck> setting;
    private final int lastChannel;
    /** The first block at output stride 16. */
    private final int split;

    private MobileNetV3(String name, List<Bneck> setting, int lastChannel, int split) {
        this.name = name;
        this.setting = setting;
        this.lastChannel = lastChannel;
        this.split = split;
    }

    public static MobileNetV3 large() {
        return new MobileNetV3("mobilenet_v3_large", LARGE, 1280, 7);
    }

    public static MobileNetV3 small() {
        return new MobileNetV3("mobilenet_v3_small", SMALL, 1024, 4);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        Blocks f = new Blocks("input");
        f.convNormAct("features.0", inputChannels, setting.get(0).in(), 3, 2, 1, NORM, new Layer.Hardswish());
        int index = 1;
        for (Bneck b : setting) {
            String p = "features." + index++;
            String q = p + ".block.";
            String blockIn = f.last();
            int j = 0;
            if (b.expanded() != b.in()) {
                f.convNormAct(q + j++, b.in(), b.expanded(), 1, 1, 1, NORM, activation(b));
            }
            f.convNormAct(q + j++, b.expanded(), b.expanded(), b.kernel(), b.stride(), b.expanded(), NORM, activation(b));
            if (b.se()) {
                f.squeezeExcitation(q + j++, b.expanded(), Blocks.makeDivisible(b.expanded() / 4, 8), new Layer.Relu(),
                    new Layer.Hardsigmoid());
            }
            f.convNormAct(q + j, b.expanded(), b.out(), 1, 1, 1, NORM, null);
            if (b.stride() == 1 && b.in() == b.out()) {
                f.add(p + ".add", new Layer.Add(), f.last(), blockIn);
            }
        }
        int lastIn = setting.get(setting.size() - 1).out();
        String last = f.convNormAct("features." + index, lastIn, 6 * lastIn, 1, 1, 1, NORM, new Layer.Hardswish());
        Blocks c = new Blocks(last);
        c.add("avgpool", new Layer.AvgPool());
        Child avgpool = new Child("avgpool", c.nodes());
        // torch.flatten is a call in MobileNetV3.forward, not a module: it travels with classifier, which needs it.
        Blocks k = new Blocks(c.last());
        k.add("classifier.flatten", new Layer.Flatten());
        k.add("classifier.0", new Layer.Linear(6 * lastIn, lastChannel, true));
        k.add("classifier.1", new Layer.Hardswish());
        k.add("classifier.2", new Layer.Dropout(0.2));
        k.add("classifier.3", new Layer.Linear(lastChannel, numClasses, true));
        return List.of(new Child("features", f.nodes()), avgpool, new Child("classifier", k.nodes()));
    }

    private static Layer activation(Bneck b) {
        return b.hardswish() ? new Layer.Hardswish() : new Layer.Relu();
    }

    @Override
    public Cut defaultCut() {
        return Cut.index(-2);
    }

    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        return Blocks.featureGroups(bodyChildren, setting.size() + 2, split);
    }
}
