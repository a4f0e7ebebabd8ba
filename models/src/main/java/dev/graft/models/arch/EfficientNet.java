package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import java.util.List;

/**
 * torchvision's EfficientNet-B0: MBConv blocks (1x1 expansion, depthwise convolution, squeeze-and-excitation with a
 * SiLU inside and a sigmoid gate, linear 1x1 projection), SiLU throughout, and stochastic depth on every residual
 * branch with a probability rising linearly from 0 to 0.2 over the 16 blocks (identity at inference).
 *
 * <p>Module paths are torchvision's ({@code features.2.1.block.3.0.weight}: stage 2, block 1). The network has
 * 5,288,548 parameters at 1000 classes; {@code features} (the body, ending with 1280 channels) holds 4,007,548. Its
 * {@code children()} are {@code features}, {@code avgpool} and {@code classifier}; the default cut is {@code -2}.
 */
public final class EfficientNet implements Architecture {
    /** One stage: expansion, kernel, stride, input channels, output channels, blocks. */
    private record Stage(int expand, int kernel, int stride, int in, int out, int layers) {
    }

    private static final List<Stage> B0 = List.of(
        new Stage(1, 3, 1, 32, 16, 1),
        new Stage(6, 3, 2, 16, 24, 2),
        new Stage(6, 5, 2, 24, 40, 2),
        new Stage(6, 3, 2, 40, 80, 3),
        new Stage(6, 5, 1, 80, 112, 3),
        new Stage(6, 5, 2, 112, 192, 4),
        new Stage(6, 3, 1, 192, 320, 1));

    private static final double STOCHASTIC_DEPTH = 0.2;
    private static final double DROPOUT = 0.2;
    /** features.4 (the first stage at output stride 16) starts the second body group. */
    private static final int SPLIT = 4;

    private final String name;
    private final List<Stage> stages;

    private EfficientNet(String name, List<Stage> stages) {
        this.name = name;
        this.stages = stages;
    }

    public static EfficientNet b0() {
        return new EfficientNet("efficientnet_b0", B0);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        Layer.BatchNorm norm = Layer.BatchNorm.of2d(1);
        Blocks f = new Blocks("input");
        f.convNormAct("features.0", inputChannels, stages.get(0).in(), 3, 2, 1, norm, new Layer.Silu());
        int total = stages.stream().mapToInt(Stage::layers).sum();
        int blockId = 0;
        for (int s = 0; s < stages.size(); s++) {
            Stage st = stages.get(s);
            for (int b = 0; b < st.layers(); b++) {
                int in = b == 0 ? st.in() : st.out();
                int stride = b == 0 ? st.stride() : 1;
                String p = "features." + (s + 1) + "." + b;
                String q = p + ".block.";
                String blockIn = f.last();
                int expanded = Blocks.makeDivisible(in * (double) st.expand(), 8);
                int j = 0;
                if (expanded != in) {
                    f.convNormAct(q + j++, in, expanded, 1, 1, 1, norm, new Layer.Silu());
                }
                f.convNormAct(q + j++, expanded, expanded, st.kernel(), stride, expanded, norm, new Layer.Silu());
                f.squeezeExcitation(q + j++, expanded, Math.max(1, in / 4), new Layer.Silu(), new Layer.Sigmoid());
                f.convNormAct(q + j, expanded, st.out(), 1, 1, 1, norm, null);
                double p0 = STOCHASTIC_DEPTH * blockId / total;
                if (stride == 1 && in == st.out()) {
                    f.add(p + ".stochastic_depth", Layer.StochasticDepth.row(p0));
                    f.add(p + ".add", new Layer.Add(), f.last(), blockIn);
                }
                blockId++;
            }
        }
        int lastIn = stages.get(stages.size() - 1).out();
        String last = f.convNormAct("features." + (stages.size() + 1), lastIn, 4 * lastIn, 1, 1, 1, norm,
            new Layer.Silu());
        Blocks c = new Blocks(last);
        c.add("avgpool", new Layer.AvgPool());
        Child avgpool = new Child("avgpool", c.nodes());
        Blocks k = new Blocks(c.last());
        k.add("classifier.flatten", new Layer.Flatten());
        k.add("classifier.0", new Layer.Dropout(DROPOUT));
        k.add("classifier.1", new Layer.Linear(4 * lastIn, numClasses, true));
        return List.of(new Child("features", f.nodes()), avgpool, new Child("classifier", k.nodes()));
    }

    @Override
    public Cut defaultCut() {
        return Cut.index(-2);
    }

    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        return Blocks.featureGroups(bodyChildren, stages.size() + 2, SPLIT);
    }
}
