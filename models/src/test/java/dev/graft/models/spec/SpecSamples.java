package dev.graft.models.spec;

import java.util.List;

/** Layers and a network that use every layer kind, shared by the spec's tests. */
final class SpecSamples {
    private SpecSamples() {
    }

    /** One layer of each kind, with attributes away from the defaults where a kind has any. */
    static List<Layer> oneOfEachKind() {
        return List.of(
            new Layer.Conv2d(4, 6, 3, 1, 2, 1, 1, 0, 2, 2, true),
            new Layer.BatchNorm(6, 2, 1e-3, 0.01),
            new Layer.Relu(),
            new Layer.MaxPool(3, 2, 1, true),
            new Layer.Add(),
            new Layer.ConcatPool(),
            new Layer.AvgPool(),
            new Layer.Flatten(),
            new Layer.Dropout(0.25),
            new Layer.Linear(12, 5, false),
            new Layer.SigmoidRange(-1.5, 2.25),
            new Layer.Relu6(),
            new Layer.Hardswish(),
            new Layer.Hardsigmoid(),
            new Layer.Silu(),
            new Layer.Sigmoid(),
            new Layer.Mul(),
            new Layer.StochasticDepth(0.125, Layer.StochasticDepth.BATCH),
            new Layer.Concat(),
            new Layer.AvgPool2d(3, 2, 1),
            new Layer.LayerNorm2d(6, 1e-6),
            new Layer.ChannelLinear(6, 24, true),
            new Layer.Gelu(),
            new Layer.LayerScale(6));
    }

    /**
     * A small valid network in which every kind occurs: a stem, a residual block, a squeeze-and-excitation gate, a
     * DenseNet-like concatenation and transition, a ConvNeXt-like block, and
     * fastai's head with bn_final and a y range.
     */
    static Network everyKind() {
        return Network.builder().arch("every_kind").inputChannels(3)
            .add("conv1", new Layer.Conv2d(3, 8, 3, 5, 2, 1, 1, 2, 1, 1, false))
            .add("bn1", new Layer.BatchNorm(8, 2, 1e-3, 0.01))
            .add("relu", new Layer.Relu())
            .add("maxpool", new Layer.MaxPool(3, 2, 1))
            .add("block.conv", new Layer.Conv2d(8, 8, 3, 3, 1, 1, 1, 1, 1, 2, false))
            .add("block.act", new Layer.Relu6())
            .add("block.add", new Layer.Add(), "block.act", "maxpool")
            .add("block.hswish", new Layer.Hardswish())
            .add("se.pool", new Layer.AvgPool())
            .add("se.fc1", new Layer.Conv2d(8, 4, 1, 1, 1, 1, 0, 0, 1, 1, true))
            .add("se.act", new Layer.Silu())
            .add("se.fc2", new Layer.Conv2d(4, 8, 1, 1, 1, 1, 0, 0, 1, 1, true))
            .add("se.gate", new Layer.Hardsigmoid())
            .add("se.mul", new Layer.Mul(), "block.hswish", "se.gate")
            .add("se.drop", Layer.StochasticDepth.row(0.2))
            .add("se.sigmoid", new Layer.Sigmoid())
            .add("dense.cat", new Layer.Concat(), "se.sigmoid", "block.add")
            .add("dense.pool", new Layer.AvgPool2d(2, 2, 0))
            .add("dense.conv", Layer.Conv2d.square(16, 8, 1, 1, 0, false))
            .add("cn.norm", new Layer.LayerNorm2d(8, 1e-6))
            .add("cn.fc1", new Layer.ChannelLinear(8, 32, true))
            .add("cn.gelu", new Layer.Gelu())
            .add("cn.fc2", new Layer.ChannelLinear(32, 8, false))
            .add("cn", new Layer.LayerScale(8))
            .add("cn.add", new Layer.Add(), "cn", "dense.conv")
            .endBody()
            .add("head.0", new Layer.ConcatPool())
            .add("head.1", new Layer.Flatten())
            .add("head.2", Layer.BatchNorm.of1d(16))
            .add("head.3", new Layer.Dropout(0.25))
            .add("head.4", new Layer.Linear(16, 3, false))
            .add("head.5", new Layer.BatchNorm(3, 1, 1e-5, 0.01))
            .add("head.6", new Layer.SigmoidRange(-1, 2.5))
            .group("body", "conv1", "bn1", "relu", "maxpool", "block", "se", "dense", "cn")
            .group("head", "head")
            .build();
    }
}
