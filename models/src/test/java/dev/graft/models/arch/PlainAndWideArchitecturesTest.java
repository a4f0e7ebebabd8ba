package dev.graft.models.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Param;
import dev.graft.models.spec.Shapes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ResNeXt, Wide ResNet, VGG-BN and AlexNet: torchvision's counts, fastai's cuts and splits, sizes they refuse. */
class PlainAndWideArchitecturesTest {

    /** Counts measured with torchvision 0.14 ({@code sum(p.numel())} of the model and of children()[:-2]). */
    @ParameterizedTest(name = "{0}: whole {1}, body {2}, {3} x {4} x {4} at 224")
    @CsvSource({
        "resnext50_32x4d, 25028904, 22979904, 2048, 7",
        "resnext101_32x8d, 88791336, 86742336, 2048, 7",
        "wide_resnet50_2, 68883240, 66834240, 2048, 7",
        "wide_resnet101_2, 126886696, 124837696, 2048, 7",
        "vgg11_bn, 132868840, 9225984, 512, 7",
        "vgg13_bn, 133053736, 9410880, 512, 7",
        "vgg16_bn, 138365992, 14723136, 512, 7",
        "vgg19_bn, 143678248, 20035392, 512, 7",
        "alexnet, 61100840, 2469696, 256, 6",
    })
    void countsAndBodyOutputEqualTorchvisionAndFastai(String arch, long whole, long body, int channels, int side) {
        assertThat(VisionModel.torchvisionCount(arch, 1000)).isEqualTo(whole);
        Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
        assertThat(Network.learnableCount(net.bodyNodes())).isEqualTo(body);
        assertThat(Shapes.infer(net, 224, 224).get(net.bodyEnd())).containsExactly(channels, side, side);
    }

    @Test
    void resnextGroupsTheThreeByThreeAndWideResnetDoublesIt() {
        Map<String, Param> x50 = VisionModel.torchvisionParams("resnext50_32x4d", 1000);
        assertThat(x50.get("layer1.0.conv2.weight").shape()).containsExactly(128, 4, 3, 3);
        assertThat(x50.get("layer4.2.conv2.weight").shape()).containsExactly(1024, 32, 3, 3);
        Network net = VisionModel.torchvision("resnext101_32x8d", 1000);
        Layer.Conv2d conv2 = (Layer.Conv2d) net.node("layer3.0.conv2").layer();
        assertThat(conv2.groups()).isEqualTo(32);
        assertThat(conv2.strideH()).isEqualTo(2);
        assertThat(conv2.out()).isEqualTo(1024);
        Map<String, Param> wide = VisionModel.torchvisionParams("wide_resnet50_2", 1000);
        assertThat(wide.get("layer1.0.conv2.weight").shape()).containsExactly(128, 128, 3, 3);
        assertThat(wide.get("layer1.0.conv3.weight").shape()).containsExactly(256, 128, 1, 1);
    }

    /** Not in fastai's model_meta: cut=None lands before avgpool, and default_split keeps the body in one group. */
    @Test
    void resnextAndWideResnetGetFastaisDefaultMeta() {
        for (String arch : List.of("resnext50_32x4d", "wide_resnet50_2")) {
            Architecture a = Architectures.get(arch);
            assertThat(a.defaultCut().toString()).isEqualTo("auto");
            assertThat(a.fastaiMeta()).contains("_default_meta");
            Network net = VisionModel.builder().setArch(arch).setClasses(3).build();
            assertThat(net.bodyChildren()).containsExactly("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4");
            assertThat(net.groups()).hasSize(2);
            assertThat(net.groups().get(0).members()).containsExactly("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4");
        }
        assertThat(Architectures.get("resnet50").fastaiMeta()).contains("_resnet_meta");
    }

    @Test
    void vggAndAlexnetAreCutToFeaturesAndSplitAsFastaiDoes() {
        Network vgg = VisionModel.builder().setArch("vgg16_bn").setClasses(3).build();
        assertThat(vgg.bodyChildren()).containsExactly("features");
        assertThat(vgg.bodyEnd()).isEqualTo("features.43");
        assertThat(vgg.groups()).hasSize(3);
        assertThat(vgg.groupOf("features.21")).isEqualTo(0);
        assertThat(vgg.groupOf("features.22")).isEqualTo(1);
        assertThat(vgg.node("features.22").layer()).isInstanceOf(Layer.Relu.class);
        assertThat(((Layer.Conv2d) vgg.node("features.0").layer()).bias()).isTrue();
        assertThat(Architectures.get("vgg16_bn").fastaiMeta()).contains("_vgg_meta");

        Network alex = VisionModel.builder().setArch("alexnet").setClasses(3).build();
        assertThat(alex.bodyEnd()).isEqualTo("features.12");
        assertThat(alex.groups().get(0).members()).containsExactly("features.0", "features.1", "features.2", "features.3",
            "features.4", "features.5");
        assertThat(alex.groupOf("features.6")).isEqualTo(1);
        assertThat(alex.groupOf("head.8")).isEqualTo(2);
        assertThat(alex.params().get("features.0.bias").shape()).containsExactly(64);
    }

    @Test
    void nInRebuildsOnlyTheFirstConvolutionKeepingItsBias() {
        Network vgg = VisionModel.builder().setArch("vgg11_bn").setClasses(3).optInputChannels(1).build();
        assertThat(vgg.params().get("features.0.weight").shape()).containsExactly(64, 1, 3, 3);
        assertThat(vgg.params().get("features.0.bias").shape()).containsExactly(64);
        Network alex = VisionModel.builder().setArch("alexnet").setClasses(3).optInputChannels(5).build();
        assertThat(alex.params().get("features.0.weight").shape()).containsExactly(64, 5, 11, 11);
        assertThat(alex.params().get("features.3.weight").shape()).containsExactly(192, 64, 5, 5);
    }

    @Test
    void sizesTooSmallForTheBodyAreRefusedInOneLine() {
        Network alex = VisionModel.builder().setArch("alexnet").setClasses(3).build();
        assertThat(Shapes.infer(alex, 63, 63).get(alex.bodyEnd())).containsExactly(256, 1, 1);
        assertThatThrownBy(() -> Shapes.infer(alex, 62, 62)).isInstanceOf(GraftException.class)
            .hasMessageContaining("features.12").hasMessageNotContaining("\n");
        Network vgg = VisionModel.builder().setArch("vgg11_bn").setClasses(3).build();
        assertThat(Shapes.infer(vgg, 32, 32).get(vgg.bodyEnd())).containsExactly(512, 1, 1);
        assertThatThrownBy(() -> Shapes.infer(vgg, 31, 31)).isInstanceOf(GraftException.class)
            .hasMessageContaining("too small");
    }

    @Test
    void aCutKeepingTheAdaptivePoolIsRefused() {
        assertThatThrownBy(() -> VisionModel.builder().setArch("vgg16_bn").setClasses(3).optCut(Cut.index(-1)).build())
            .isInstanceOf(GraftException.class).hasMessageContaining("AdaptiveAvgPool2d((7, 7))");
        assertThatThrownBy(() -> VisionModel.torchvision("alexnet", 1000))
            .isInstanceOf(GraftException.class).hasMessageContaining("AdaptiveAvgPool2d((6, 6))");
        assertThat(VisionModel.torchvisionParams("alexnet", 1000)).containsKey("classifier.6.bias");
    }

    @Test
    void narrowedVariantsKeepLayoutGroupingAndSplit() {
        Network x = VisionModel.builder().setArch(ResNet.resnext50x32x4d().narrowed(4)).setClasses(3).build();
        assertThat(x.arch()).isEqualTo("resnext50_32x4d_narrow4");
        Layer.Conv2d conv2 = (Layer.Conv2d) x.node("layer1.0.conv2").layer();
        assertThat(conv2.groups()).isEqualTo(32);
        assertThat(conv2.out()).isEqualTo(32);
        assertThat(Shapes.infer(x, 224, 224).get(x.bodyEnd())).containsExactly(512, 7, 7);
        assertThat(x.groups()).hasSize(2);
        Network v = VisionModel.builder().setArch(Vgg.vgg11bn().narrowed(8)).setClasses(3).build();
        assertThat(v.groups()).hasSize(3);
        assertThat(Shapes.infer(v, 224, 224).get(v.bodyEnd())).containsExactly(64, 7, 7);
        Network a = VisionModel.builder().setArch(AlexNet.alexnet().narrowed(4)).setClasses(3).build();
        assertThat(Shapes.infer(a, 224, 224).get(a.bodyEnd())).containsExactly(64, 6, 6);
        assertThatThrownBy(() -> ResNet.resnext50x32x4d().narrowed(8)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shallowVariantsKeepEveryStageItsDownsamplingGroupingAndSplit() {
        Network x = VisionModel.builder().setArch(ResNet.resnext50x32x4d().narrowed(4, 1)).setClasses(3).build();
        assertThat(x.arch()).isEqualTo("resnext50_32x4d_narrow4_blocks1");
        for (int stage = 1; stage <= 4; stage++) {
            assertThat(x.findNode("layer" + stage + ".0.downsample.0")).isPresent();
            assertThat(x.findNode("layer" + stage + ".1.conv1")).isEmpty();
            assertThat(((Layer.Conv2d) x.node("layer" + stage + ".0.conv2").layer()).groups()).isEqualTo(32);
        }
        assertThat(Shapes.infer(x, 224, 224).get(x.bodyEnd())).containsExactly(512, 7, 7);
        assertThat(x.groups()).hasSize(2);
        Network w = VisionModel.builder().setArch(ResNet.wideResnet50x2().narrowed(8, 1)).setClasses(3).build();
        assertThat(((Layer.Conv2d) w.node("layer1.0.conv2").layer()).out()).isEqualTo(16);
        assertThat(Shapes.infer(w, 224, 224).get(w.bodyEnd())).containsExactly(256, 7, 7);
        assertThat(ResNet.resnet18().narrowed(2, 2).name()).isEqualTo("resnet18_narrow2");
        assertThat(VisionModel.builder().setArch(ResNet.resnet50().narrowed(4, 1)).setClasses(3).build().groups())
            .hasSize(3);
        assertThatThrownBy(() -> ResNet.resnet50().narrowed(4, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
