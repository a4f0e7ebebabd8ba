package dev.graft.models.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Shapes;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** DenseNet and SqueezeNet: torchvision's counts, fastai's cuts and splits, the sizes they refuse. */
class DenseAndSqueezeArchitecturesTest {

    /** Counts measured with torchvision 0.14 ({@code sum(p.numel())} of the model and of {@code model.features}). */
    @ParameterizedTest(name = "{0}: whole {1}, body {2}, {3} x {4} x {4} at 224")
    @CsvSource({
        "densenet121, 7978856, 6953856, 1024, 7",
        "densenet169, 14149480, 12484480, 1664, 7",
        "densenet201, 20013928, 18092928, 1920, 7",
        "densenet161, 28681000, 26472000, 2208, 7",
        "squeezenet1_0, 1248424, 735424, 512, 13",
        "squeezenet1_1, 1235496, 722496, 512, 13",
    })
    void countsAndBodyOutputEqualTorchvisionAndFastai(String arch, long whole, long body, int channels, int side) {
        assertThat(VisionModel.torchvisionCount(arch, 1000)).isEqualTo(whole);
        Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
        assertThat(net.bodyChildren()).containsExactly("features");
        assertThat(Network.learnableCount(net.bodyNodes())).isEqualTo(body);
        assertThat(Shapes.infer(net, 224, 224).get(net.bodyEnd())).containsExactly(channels, side, side);
    }

    @Test
    void denseNetBodyEndsAtNorm5BeforeTheReluAndSplitsAfterDenseblock2() {
        Network net = VisionModel.builder().setArch("densenet121").setClasses(3).build();
        assertThat(net.bodyEnd()).isEqualTo("features.norm5");
        assertThat(net.node("features.norm5").layer()).isInstanceOf(Layer.BatchNorm.class);
        assertThat(net.groups()).hasSize(3);
        assertThat(net.groups().get(0).members()).containsExactly("features.conv0", "features.norm0", "features.relu0",
            "features.pool0", "features.denseblock1", "features.transition1", "features.denseblock2");
        assertThat(net.groups().get(1).members()).containsExactly("features.transition2", "features.denseblock3",
            "features.transition3", "features.denseblock4", "features.norm5");
        assertThat(net.groupOf("features.denseblock2.denselayer12.conv2")).isZero();
        assertThat(net.groupOf("features.transition2.pool")).isEqualTo(1);
        assertThat(Architectures.get("densenet121").fastaiMeta()).contains("_densenet_meta", "pre-ReLU");
        // the whole network applies torchvision's functional ReLU before pooling
        Network whole = VisionModel.torchvision("densenet121", 1000);
        assertThat(whole.node("classifier.relu").inputs()).containsExactly("features.norm5");
    }

    @Test
    void denseLayersReadTheConcatenationOfEveryEarlierMap() {
        Network net = VisionModel.torchvision("densenet121", 1000);
        assertThat(net.node("features.denseblock1.denselayer1.norm1").inputs()).containsExactly("features.pool0");
        assertThat(net.node("features.denseblock1.denselayer3.cat").inputs()).containsExactly("features.pool0",
            "features.denseblock1.denselayer1.conv2", "features.denseblock1.denselayer2.conv2");
        assertThat(net.node("features.denseblock1.cat").inputs()).hasSize(7);
        Map<String, int[]> s = Shapes.infer(net, 224, 224);
        assertThat(s.get("features.denseblock1.cat")).containsExactly(256, 56, 56);
        assertThat(s.get("features.transition1.pool")).containsExactly(128, 28, 28);
        assertThat(s.get("features.denseblock4.cat")).containsExactly(1024, 7, 7);
    }

    @Test
    void squeezeNetPoolsRoundUpAndFiresConcatenateTheirExpands() {
        Network net = VisionModel.torchvision("squeezenet1_1", 1000);
        assertThat(((Layer.MaxPool) net.node("features.2").layer()).ceilMode()).isTrue();
        assertThat(net.node("features.3.cat").inputs())
            .containsExactly("features.3.expand1x1_activation", "features.3.expand3x3_activation");
        Map<String, int[]> s = Shapes.infer(net, 224, 224);
        assertThat(s.get("features.0")).containsExactly(64, 111, 111);
        assertThat(s.get("features.2")).containsExactly(64, 55, 55);
        assertThat(s.get("features.3.cat")).containsExactly(128, 55, 55);
        assertThat(s.get("features.5")).containsExactly(128, 27, 27);
        Network body = VisionModel.builder().setArch("squeezenet1_0").setClasses(3).build();
        assertThat(body.groups()).hasSize(3);
        assertThat(body.groupOf("features.4.expand3x3")).isZero();
        assertThat(body.groupOf("features.5.squeeze")).isEqualTo(1);
        assertThat(Architectures.get("squeezenet1_1").fastaiMeta()).contains("_squeezenet_meta");
    }

    @Test
    void inputsTooSmallAreRefusedInOneLine() {
        Network dense = VisionModel.builder().setArch("densenet121").setClasses(3).build();
        assertThat(Shapes.infer(dense, 32, 32).get("features.norm5")).containsExactly(1024, 1, 1);
        assertThatThrownBy(() -> Shapes.infer(dense, 16, 16)).isInstanceOf(GraftException.class)
            .hasMessageContaining("the input size is too small");
        Network squeeze = VisionModel.builder().setArch("squeezenet1_1").setClasses(3).build();
        assertThat(Shapes.infer(squeeze, 32, 32).get(squeeze.bodyEnd())).containsExactly(512, 1, 1);
        assertThatThrownBy(() -> Shapes.infer(squeeze, 16, 16)).isInstanceOf(GraftException.class)
            .hasMessageContaining("the input size is too small");
    }
}
