package dev.graft.models.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Param;
import dev.graft.models.spec.Shapes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ResNetTest {

    @ParameterizedTest(name = "{0}: whole {1}, body {2}")
    @CsvSource({
        "resnet18, 11689512, 11176512",
        "resnet34, 21797672, 21284672",
        "resnet50, 25557032, 23508032",
        "resnet101, 44549160, 42500160",
        "resnet152, 60192808, 58143808",
    })
    void parameterCountsEqualTorchvision(String arch, long whole, long body) {
        assertThat(VisionModel.torchvision(arch, 1000).learnableCount()).isEqualTo(whole);
        Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
        assertThat(Network.learnableCount(net.bodyNodes())).isEqualTo(body);
    }

    @Test
    void resnet18HasTorchvisionNamesAndShapes() {
        Map<String, Param> p = VisionModel.torchvision("resnet18", 1000).params();
        assertThat(p.get("conv1.weight").shape()).containsExactly(64, 3, 7, 7);
        assertThat(p.get("layer3.1.bn2.running_var").shape()).containsExactly(256);
        assertThat(p.get("layer2.0.downsample.0.weight").shape()).containsExactly(128, 64, 1, 1);
        assertThat(p.get("fc.weight").shape()).containsExactly(1000, 512);
        assertThat(p).doesNotContainKey("layer1.0.downsample.0.weight");
        // 20 convolutions, 20 batchnorms (4 tensors each), fc weight + bias
        assertThat(p).hasSize(20 + 20 * 4 + 2);
    }

    @Test
    void resnet50BottleneckPutsTheStrideOnTheThreeByThree() {
        Network net = VisionModel.torchvision("resnet50", 1000);
        var conv2 = (dev.graft.models.spec.Layer.Conv2d) net.node("layer2.0.conv2").layer();
        var conv1 = (dev.graft.models.spec.Layer.Conv2d) net.node("layer2.0.conv1").layer();
        assertThat(conv2.strideH()).isEqualTo(2);
        assertThat(conv1.strideH()).isEqualTo(1);
        assertThat(net.params().get("layer4.2.conv3.weight").shape()).containsExactly(2048, 512, 1, 1);
    }

    @Test
    void bodyOutputShapesFollowTheStrides() {
        Network net = VisionModel.builder().setArch("resnet34").setClasses(37).build();
        Map<String, int[]> shapes = Shapes.infer(net, 224, 224);
        assertThat(shapes.get("maxpool")).containsExactly(64, 56, 56);
        assertThat(shapes.get("layer2.0.relu_1")).containsExactly(128, 28, 28);
        assertThat(shapes.get(net.bodyEnd())).containsExactly(512, 7, 7);
        assertThat(net.bodyEnd()).isEqualTo("layer4.2.relu_1");
        assertThat(shapes.get("head.0")).containsExactly(1024, 1, 1);
        assertThat(shapes.get(net.output().id())).containsExactly(37);
    }

    @Test
    void fastaiSplitIsThreeGroups() {
        Network net = VisionModel.builder().setArch("resnet50").setClasses(10).build();
        assertThat(net.groups()).hasSize(3);
        assertThat(net.groups().get(0).members()).containsExactly("conv1", "bn1", "relu", "maxpool", "layer1", "layer2");
        assertThat(net.groups().get(1).members()).containsExactly("layer3", "layer4");
        assertThat(net.groupOf("layer2.3.bn3")).isEqualTo(0);
        assertThat(net.groupOf("layer3.0.conv1")).isEqualTo(1);
        assertThat(net.groupOf("head.8")).isEqualTo(2);
        assertThat(net.bodyChildren()).containsExactly("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4");
    }

    @Test
    void cutsByIndexFunctionAndAuto() {
        Network minus3 = VisionModel.builder().setArch("resnet18").setClasses(3).optCut(Cut.index(-3)).build();
        assertThat(minus3.bodyEnd()).isEqualTo("layer3.1.relu_1");
        assertThat(minus3.headNodes().get(2).layer().params().get(0).shape()).containsExactly(512); // BN over 2 x 256

        Network auto = VisionModel.builder().setArch("resnet18").setClasses(3).optCut(Cut.auto()).build();
        assertThat(auto).isEqualTo(VisionModel.builder().setArch("resnet18").setClasses(3).build());

        Network fn = VisionModel.builder().setArch("resnet18").setClasses(3)
            .optCut(Cut.function("through layer2", cs -> cs.subList(0, 6))).build();
        assertThat(fn.bodyEnd()).isEqualTo("layer2.1.relu_1");
        assertThat(fn.groups()).hasSize(2); // m[0][6:] is empty, so only body.0 and the head

        assertThatThrownBy(() -> VisionModel.builder().setArch("resnet18").setClasses(3).optCut(Cut.index(-10)).build())
            .isInstanceOf(GraftException.class).hasMessageContaining("leaves no body");
        assertThatThrownBy(() -> Cut.parse("layer9")).isInstanceOf(GraftException.class);
    }

    @Test
    void unknownArchitectureListsKnownOnes() {
        assertThatThrownBy(() -> Architectures.get("resnet19"))
            .isInstanceOf(GraftException.class)
            .hasMessage("unknown architecture 'resnet19' (known: resnet18, resnet34, resnet50, resnet101, resnet152, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small, efficientnet_b0, resnext50_32x4d, resnext101_32x8d, wide_resnet50_2, wide_resnet101_2, vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn, alexnet, densenet121, densenet169, densenet201, densenet161, squeezenet1_0, squeezenet1_1, convnext_tiny, convnext_small)");
    }

    @Test
    void nInChangesOnlyTheFirstConvolution() {
        for (int nIn : List.of(1, 2, 4, 7)) {
            Network net = VisionModel.builder().setArch("resnet18").setClasses(3).optInputChannels(nIn).build();
            assertThat(net.inputChannels()).isEqualTo(nIn);
            assertThat(net.params().get("conv1.weight").shape()).containsExactly(64, nIn, 7, 7);
            assertThat(net.params().get("layer1.0.conv1.weight").shape()).containsExactly(64, 64, 3, 3);
        }
    }
}
