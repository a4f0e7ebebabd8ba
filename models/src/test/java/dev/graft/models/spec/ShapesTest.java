package dev.graft.models.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShapesTest {

    @Test
    void everyKindHasItsShape() {
        Map<String, int[]> s = Shapes.infer(SpecSamples.everyKind(), 32, 30);
        // conv2d: floor((size + 2 pad - dilation (k - 1) - 1) / stride) + 1 per axis
        assertThat(s.get("conv1")).containsExactly(8, 16, 30);
        assertThat(s.get("bn1")).containsExactly(8, 16, 30);
        assertThat(s.get("relu")).containsExactly(8, 16, 30);
        // maxpool, floor rounding: (16 + 2 - 3) / 2 + 1 = 8, (30 + 2 - 3) / 2 + 1 = 15
        assertThat(s.get("maxpool")).containsExactly(8, 8, 15);
        assertThat(s.get("block.conv")).containsExactly(8, 8, 15);
        assertThat(s.get("block.act")).containsExactly(8, 8, 15);
        assertThat(s.get("block.add")).containsExactly(8, 8, 15);
        assertThat(s.get("block.hswish")).containsExactly(8, 8, 15);
        assertThat(s.get("se.pool")).containsExactly(8, 1, 1);
        assertThat(s.get("se.fc1")).containsExactly(4, 1, 1);
        assertThat(s.get("se.act")).containsExactly(4, 1, 1);
        assertThat(s.get("se.fc2")).containsExactly(8, 1, 1);
        assertThat(s.get("se.gate")).containsExactly(8, 1, 1);
        assertThat(s.get("se.mul")).containsExactly(8, 8, 15);
        assertThat(s.get("se.drop")).containsExactly(8, 8, 15);
        assertThat(s.get("se.sigmoid")).containsExactly(8, 8, 15);
        // concat adds the channels; avg_pool2d 2x2 stride 2 floors: 8 / 2 = 4, 15 / 2 = 7
        assertThat(s.get("dense.cat")).containsExactly(16, 8, 15);
        assertThat(s.get("dense.pool")).containsExactly(16, 4, 7);
        assertThat(s.get("dense.conv")).containsExactly(8, 4, 7);
        assertThat(s.get("head.0")).containsExactly(16, 1, 1);
        assertThat(s.get("head.1")).containsExactly(16);
        assertThat(s.get("head.2")).containsExactly(16);
        assertThat(s.get("head.3")).containsExactly(16);
        assertThat(s.get("head.4")).containsExactly(3);
        assertThat(s.get("head.5")).containsExactly(3);
        assertThat(s.get("head.6")).containsExactly(3);
        assertThat(s.keySet()).containsExactlyElementsOf(
            SpecSamples.everyKind().nodes().stream().map(Node::id).toList());
    }

    @Test
    void maxPoolCeilModeRoundsUpAsPyTorchDoes() {
        Network net = Network.builder().inputChannels(3)
            .add("floor", new Layer.MaxPool(3, 2, 0))
            .add("ceil", new Layer.MaxPool(3, 2, 0, true), Network.INPUT)
            .add("ceilPad", new Layer.MaxPool(2, 2, 1, true), Network.INPUT)
            .group("all", "floor", "ceil", "ceilPad").build();
        // SqueezeNet 1.1 at 224: 111 -> 55 with ceil ((111 - 3) / 2 = 54 exactly), 55 -> 27, 27 -> 13
        assertThat(Shapes.infer(net, 111, 111).get("ceil")).containsExactly(3, 55, 55);
        // 112: floor (109 / 2) + 1 = 55, ceil 56
        assertThat(Shapes.infer(net, 112, 112).get("floor")).containsExactly(3, 55, 55);
        assertThat(Shapes.infer(net, 112, 112).get("ceil")).containsExactly(3, 56, 56);
        // 5, pad 1, kernel 2: ceil(5 / 2) + 1 = 4, but the 4th window would start at 6 >= 5 + 1, so 3 (PyTorch's rule)
        assertThat(Shapes.infer(net, 5, 5).get("ceilPad")).containsExactly(3, 3, 3);
        assertThat(Shapes.poolOut(13, 3, 2, 0, true)).isEqualTo(6);
        assertThat(Shapes.poolOut(14, 3, 2, 0, true)).isEqualTo(7);
    }

    @Test
    void concatNeedsEqualSpatialSizes() {
        assertThatThrownBy(() -> Network.builder().inputChannels(3)
            .add("p", new Layer.AvgPool2d(2, 2, 0))
            .add("cat", new Layer.Concat(), "p", Network.INPUT)
            .group("all", "p", "cat").build())
            .hasMessageContaining("cat: concat joins different spatial sizes");
    }

    @Test
    void dilationAndRectangularStridesFollowPyTorch() {
        Network net = Network.builder()
            .add("c", new Layer.Conv2d(3, 4, 3, 3, 3, 2, 2, 0, 2, 1, false))
            .group("all", "c").build();
        // h: (17 + 4 - 2 * 2 - 1) / 3 + 1 = 6; w: (17 + 0 - 4 - 1) / 2 + 1 = 7
        assertThat(Shapes.infer(net, 17, 17).get("c")).containsExactly(4, 6, 7);
    }

    @Test
    void anInputTooSmallGetsAOneLineError() {
        Network net = Network.builder().add("c", Layer.Conv2d.square(3, 4, 3, 1, 0, false)).group("all", "c").build();
        assertThatThrownBy(() -> Shapes.infer(net, 2, 5))
            .isInstanceOf(GraftException.class)
            .hasMessage("the input size is too small: c receives [3, 2, 5] and would produce nothing; use a larger --size");
        assertThatThrownBy(() -> Shapes.infer(SpecSamples.everyKind(), 0, 32))
            .isInstanceOf(GraftException.class).hasMessage("input size must be positive, not 0x32");
    }

    @Test
    void layersRejectInputsOfTheWrongShape() {
        assertThatThrownBy(() -> Network.builder().add("f", new Layer.Flatten()).add("c", Layer.Conv2d.square(3, 4, 1, 1, 0, false))
                .group("all", "f", "c").build())
            .hasMessageStartingWith("c: conv2d needs an image-shaped input, got [");
        assertThatThrownBy(() -> Network.builder().add("c", Layer.Conv2d.square(4, 4, 1, 1, 0, false)).group("all", "c").build())
            .hasMessage("c: conv2d expects 4 input channels/features but receives 3");
        assertThatThrownBy(() -> Network.builder().add("b", Layer.BatchNorm.of1d(3)).group("all", "b").build())
            .hasMessage("b: batchnorm over 1-d features needs a flat input, got [3, 1024, 1024]");
        assertThatThrownBy(() -> Network.builder().add("f", new Layer.Flatten()).add("b", Layer.BatchNorm.of2d(3))
                .group("all", "f", "b").build())
            .hasMessageStartingWith("b: batchnorm needs an image-shaped input");
        assertThatThrownBy(() -> Network.builder().add("l", new Layer.Linear(3, 2, true)).group("all", "l").build())
            .hasMessage("l: linear needs a flat input (add a flatten), got [3, 1024, 1024]");
        assertThatThrownBy(() -> Network.builder().add("f", new Layer.Flatten()).add("p", new Layer.AvgPool())
                .group("all", "f", "p").build())
            .hasMessageStartingWith("p: avg_pool needs an image-shaped input");
        assertThatThrownBy(() -> Network.builder().add("f", new Layer.Flatten()).add("p", new Layer.ConcatPool())
                .group("all", "f", "p").build())
            .hasMessageStartingWith("p: concat_pool needs an image-shaped input");
        assertThatThrownBy(() -> Network.builder().add("f", new Layer.Flatten()).add("p", new Layer.MaxPool(2, 2, 0))
                .group("all", "f", "p").build())
            .hasMessageStartingWith("p: maxpool needs an image-shaped input");
    }

    @Test
    void joinsCheckTheirInputsAgree() {
        assertThatThrownBy(() -> Network.builder()
                .add("c", Layer.Conv2d.square(3, 4, 1, 1, 0, false))
                .add("a", new Layer.Add(), "c", Network.INPUT)
                .group("all", "c", "a").build())
            .hasMessage("a: add joins different shapes [4, 1024, 1024] and [3, 1024, 1024]");
        assertThatThrownBy(() -> Network.builder()
                .add("f", new Layer.Flatten())
                .add("m", new Layer.Mul(), Network.INPUT, "f")
                .group("all", "f", "m").build())
            .hasMessage("m: mul joins shapes of different rank [3, 1024, 1024] and [3145728]");
        assertThatThrownBy(() -> Network.builder()
                .add("c", Layer.Conv2d.square(3, 3, 2, 2, 0, false))
                .add("m", new Layer.Mul(), Network.INPUT, "c")
                .group("all", "c", "m").build())
            .hasMessage("m: mul cannot broadcast [3, 512, 512] over [3, 1024, 1024]");
    }
}
