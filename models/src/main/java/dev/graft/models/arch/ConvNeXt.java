package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import java.util.List;

/**
 * torchvision's ConvNeXt-Tiny and ConvNeXt-Small, module for module.
 *
 * <p>{@code features.0} is the patchify stem: a 4x4 stride-4 convolution with bias ({@code .0}) and a
 * {@code LayerNorm2d} ({@code .1}). Then four stages ({@code features.1, 3, 5, 7}) of {@code CNBlock}s, with
 * downsampling layers between them ({@code features.2, 4, 6}: {@code LayerNorm2d}, then a 2x2 stride-2 convolution
 * doubling the channels). A block ({@code features.S.M}) runs {@code block}: a 7x7 depthwise convolution with bias
 * ({@code block.0}), {@code Permute} to channels-last ({@code block.1}, no node here), {@code nn.LayerNorm}
 * ({@code block.2}), {@code nn.Linear} to 4x the channels ({@code block.3}), exact GELU ({@code block.4}),
 * {@code nn.Linear} back ({@code block.5}) and the permute back ({@code block.6}); then multiplies by the block's own
 * parameter {@code layer_scale} ([C, 1, 1], node id {@code features.S.M}), applies stochastic depth (row mode, the
 * probability rising linearly from 0 at the first block to 0.1 (tiny) or 0.4 (small) at the last) and adds the
 * block's input. Every layer norm has {@code eps=1e-6}.
 *
 * <p>{@code children()} are {@code features}, {@code avgpool} ({@code AdaptiveAvgPool2d(1)}) and {@code classifier}
 * ({@code LayerNorm2d}, {@code Flatten}, {@code Linear}). fastai's {@code model_meta} does not list ConvNeXt, so
 * {@code _default_meta} applies: the cut falls before {@code avgpool}, the last child holding a pooling layer, and the
 * body is {@code features} (768 channels at stride 32), split as one group.
 */
public final class ConvNeXt implements Architecture {
    private static final int[] WIDTHS = {96, 192, 384, 768};
    private static final int[] TINY = {3, 3, 9, 3};
    private static final int[] SMALL = {3, 3, 27, 3};

    private final String name;
    private final int[] depths;
    private final double stochasticDepth;
    private final int divisor;

    private ConvNeXt(String name, int[] depths, double stochasticDepth, int divisor) {
        this.name = name;
        this.depths = depths.clone();
        this.stochasticDepth = stochasticDepth;
        this.divisor = divisor;
    }

    /** {@code convnext_tiny}: 28,589,128 parameters at 1000 classes, stochastic depth up to 0.1. */
    public static ConvNeXt tiny() {
        return new ConvNeXt("convnext_tiny", TINY, 0.1, 1);
    }

    /** {@code convnext_small}: 50,223,688 parameters at 1000 classes, stochastic depth up to 0.4. */
    public static ConvNeXt small() {
        return new ConvNeXt("convnext_small", SMALL, 0.4, 1);
    }

    /**
     * This ConvNeXt with every width divided by {@code divisor} (1, 2, 4, 8, 16, 32) and at most {@code maxBlocks}
     * blocks a stage, named {@code <name>_narrow<divisor>}: the same module layout, cut and split at a fraction of the
     * compute, for tests that must finish in seconds. Not a torchvision network.
     */
    public ConvNeXt narrowed(int d, int maxBlocks) {
        if (d < 1 || 96 % d != 0 || maxBlocks < 1) {
            throw new IllegalArgumentException(name + " cannot be narrowed by " + d + " to " + maxBlocks + " blocks");
        }
        int[] fewer = depths.clone();
        for (int i = 0; i < fewer.length; i++) {
            fewer[i] = Math.min(fewer[i], maxBlocks);
        }
        return new ConvNeXt(name + "_narrow" + d, fewer, stochasticDepth, d);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        double eps = Layer.LayerNorm2d.CONVNEXT_EPS;
        Blocks f = new Blocks("input");
        int first = WIDTHS[0] / divisor;
        f.add("features.0.0", new Layer.Conv2d(inputChannels, first, 4, 4, 4, 4, 0, 0, 1, 1, true));
        f.add("features.0.1", new Layer.LayerNorm2d(first, eps));
        int total = 0;
        for (int d : depths) {
            total += d;
        }
        int blockId = 0;
        for (int s = 0; s < depths.length; s++) {
            int c = WIDTHS[s] / divisor;
            String stage = "features." + (2 * s + 1);
            for (int b = 0; b < depths[s]; b++) {
                String p = stage + "." + b;
                String input = f.last();
                f.add(p + ".block.0", new Layer.Conv2d(c, c, 7, 7, 1, 1, 3, 3, 1, c, true));
                f.add(p + ".block.2", new Layer.LayerNorm2d(c, eps));
                f.add(p + ".block.3", new Layer.ChannelLinear(c, 4 * c, true));
                f.add(p + ".block.4", new Layer.Gelu());
                f.add(p + ".block.5", new Layer.ChannelLinear(4 * c, c, true));
                f.add(p, new Layer.LayerScale(c));
                // torchvision: stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)
                double sd = total > 1 ? stochasticDepth * blockId / (total - 1.0) : 0;
                f.add(p + ".stochastic_depth", Layer.StochasticDepth.row(sd));
                f.add(p + ".add", new Layer.Add(), f.last(), input);
                blockId++;
            }
            if (s + 1 < depths.length) {
                String down = "features." + (2 * s + 2);
                f.add(down + ".0", new Layer.LayerNorm2d(c, eps));
                f.add(down + ".1", new Layer.Conv2d(c, 2 * c, 2, 2, 2, 2, 0, 0, 1, 1, true));
            }
        }
        int last = WIDTHS[WIDTHS.length - 1] / divisor;
        Blocks pool = new Blocks(f.last());
        pool.add("avgpool", new Layer.AvgPool());
        Blocks c = new Blocks(pool.last());
        c.add("classifier.0", new Layer.LayerNorm2d(last, eps));
        c.add("classifier.1", new Layer.Flatten());
        c.add("classifier.2", new Layer.Linear(last, numClasses, true));
        return List.of(new Child("features", f.nodes()), new Child("avgpool", pool.nodes()),
            new Child("classifier", c.nodes()));
    }

    @Override
    public Cut defaultCut() {
        return Cut.auto();
    }

    @Override
    public String fastaiMeta() {
        return DEFAULT_META;
    }

    /** fastai's {@code default_split}: the whole body is one group. */
    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        return List.of(new LayerGroup("body", bodyChildren));
    }
}
