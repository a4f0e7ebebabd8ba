package dev.graft.models.draw;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.Cut;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.head.Heads;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import java.util.List;
import org.junit.jupiter.api.Test;

class BodyStagesTest {

    @Test
    void resnetBodyIsItsStemAndFourLayers() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        List<Stage> stages = BodyStages.of(net, 224, 224);
        assertThat(stages).extracting(Stage::name).containsExactly("stem", "layer1", "layer2", "layer3", "layer4");
        assertThat(stages.get(0).members()).isEqualTo("conv1 · bn1 · relu · maxpool");
        assertThat(stages.get(1).members()).isEqualTo("2 blocks: layer1.0 … layer1.1");
        assertThat(stages).extracting(Stage::group).containsExactly(0, 0, 0, 1, 1);
        assertThat(stages.get(4).last().id()).isEqualTo(net.bodyEnd());
        int nodes = stages.stream().mapToInt(s -> s.nodes().size()).sum();
        assertThat(nodes).isEqualTo(net.bodyNodes().size());
    }

    @Test
    void vggShowsOneStagePerMaxPoolingSplitWhereFastaiSplits() {
        Network net = VisionModel.builder().setArch("vgg16_bn").setClasses(3).build();
        List<Stage> stages = BodyStages.of(net, 224, 224);
        // fastai's _vgg_split cuts at features[22], the third stage's last ReLU
        assertThat(stages).extracting(Stage::name).containsExactly("stem", "features.7 … features.13",
            "features.14 … features.21", "features.22 … features.23", "features.24 … features.33",
            "features.34 … features.43");
        assertThat(stages).extracting(Stage::group).containsExactly(0, 0, 0, 1, 1, 1);
        Network alex = VisionModel.builder().setArch("alexnet").setClasses(3).build();
        assertThat(BodyStages.of(alex, 224, 224)).extracting(Stage::name)
            .containsExactly("stem", "features.3 … features.5", "features.6 … features.12");
    }

    @Test
    void aCutThatKeepsThePoolShowsItAsItsOwnStage() {
        Network net = VisionModel.builder().setArch("resnet50").setClasses(3).optCut(Cut.index(-1)).build();
        List<Stage> stages = BodyStages.of(net, 224, 224);
        assertThat(stages).extracting(Stage::name).containsExactly("stem", "layer1", "layer2", "layer3", "layer4", "avgpool");
        assertThat(stages.get(1).members()).isEqualTo("3 blocks: layer1.0 … layer1.2");
    }

    @Test
    void aStageNeverSpansTwoLayerGroups() {
        Network resnet = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        Network.Builder b = resnet.toBuilder().groups(List.of(
            new dev.graft.models.spec.LayerGroup("a", List.of("conv1", "bn1")),
            new dev.graft.models.spec.LayerGroup("b", List.of("relu", "maxpool", "layer1", "layer2", "layer3", "layer4.0")),
            new dev.graft.models.spec.LayerGroup("c", List.of("layer4.1", "head"))));
        List<Stage> stages = BodyStages.of(b.build(), 224, 224);
        assertThat(stages).extracting(Stage::name)
            .containsExactly("stem", "relu … maxpool", "layer1", "layer2", "layer3", "layer4", "layer4");
        assertThat(stages).extracting(Stage::group).containsExactly(0, 1, 1, 1, 1, 1, 2);
    }

    /** A MobileNet-like body: one top-level child, {@code features}, holding 18 numbered blocks. */
    static Network mobileNetLike() {
        return mobileNetLike(2, 1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1);
    }

    static Network mobileNetLike(int... strides) {
        Network.Builder b = Network.builder().arch("mobilenet_like");
        int channels = 3;
        for (int i = 0; i < strides.length; i++) {
            String block = "features." + i;
            int out = strides[i] == 2 || i == 0 ? Math.min(channels * 2 + 10, 320) : channels;
            String in = b.last();
            b.add(block + ".conv.0", Layer.Conv2d.square(channels, out, 3, strides[i], 1, false));
            b.add(block + ".conv.1", Layer.BatchNorm.of2d(out));
            if (out == channels && strides[i] == 1) {
                b.add(block + ".add", new Layer.Add(), in, b.last());
            } else {
                b.add(block + ".conv.2", new Layer.Relu());
            }
            channels = out;
        }
        b.endBody();
        int nf = channels;
        for (Node n : Heads.nodes(Heads.layers(nf, 5, HeadOptions.defaults()), b.last())) {
            b.add(n);
        }
        return b.group("features", "features").group("head", "head").build();
    }

    @Test
    void aSingleChildBodyCollapsesByBlockThenByResolution() {
        Network net = mobileNetLike();
        assertThat(net.bodyChildren()).containsExactly("features");
        List<Stage> stages = BodyStages.of(net, 224, 224);
        assertThat(stages).extracting(Stage::name).containsExactly(
            "features.0 … features.1", "features.2 … features.3", "features.4 … features.6",
            "features.7 … features.13", "features.14 … features.17");
        assertThat(stages.size()).isLessThanOrEqualTo(BodyStages.MAX_STAGES);
        assertThat(stages.get(3).members()).isEqualTo("7 modules, 21 layers");
    }

    @Test
    void aShortBodyKeepsOneStagePerChild() {
        Network small = VisionModel.builder().setArch("resnet18").setClasses(3).optCut(Cut.index(5)).build();
        assertThat(BodyStages.of(small, 64, 64)).extracting(Stage::name).containsExactly("stem", "layer1");
        List<Stage> blocks = BodyStages.of(mobileNetLike(2, 1, 2, 1), 64, 64);
        assertThat(blocks).extracting(Stage::name).containsExactly("features.0", "features.1", "features.2", "features.3");
        assertThat(blocks.get(1).members()).isEqualTo("3 layers");
    }

    @Test
    void aDenseNetShowsEachDenseBlockAndTransitionAndASqueezeNetEachFire() {
        Network dense = VisionModel.builder().setArch("densenet121").setClasses(3).build();
        List<Stage> stages = BodyStages.of(dense, 224, 224);
        assertThat(stages).extracting(Stage::name).containsExactly("stem", "features.denseblock1",
            "features.transition1", "features.denseblock2", "features.transition2", "features.denseblock3",
            "features.transition3", "features.denseblock4", "features.norm5");
        assertThat(stages.get(1).members())
            .isEqualTo("6 blocks: features.denseblock1.denselayer1 … features.denseblock1.denselayer6");
        assertThat(stages.get(5).members())
            .isEqualTo("24 blocks: features.denseblock3.denselayer1 … features.denseblock3.denselayer24");
        assertThat(stages).extracting(Stage::group).containsExactly(0, 0, 0, 0, 1, 1, 1, 1, 1);
        Network squeeze = VisionModel.builder().setArch("squeezenet1_1").setClasses(3).build();
        assertThat(BodyStages.of(squeeze, 224, 224)).extracting(Stage::name).containsExactly("stem", "features.3",
            "features.4", "features.5", "features.6", "features.7", "features.8", "features.9", "features.10",
            "features.11", "features.12");
    }

    @Test
    void aConvNeXtShowsItsStemFourStagesWithTheirBlocksAndThreeDownsamplings() {
        Network tiny = VisionModel.builder().setArch("convnext_tiny").setClasses(3).build();
        List<Stage> stages = BodyStages.of(tiny, 224, 224);
        assertThat(stages).extracting(Stage::name).containsExactly("stem", "features.1", "features.2", "features.3",
            "features.4", "features.5", "features.6", "features.7");
        assertThat(stages).extracting(Stage::members).containsExactly("conv2d · layer_norm2d",
            "3 blocks: features.1.0 … features.1.2", "downsampling: layer_norm2d · conv2d",
            "3 blocks: features.3.0 … features.3.2", "downsampling: layer_norm2d · conv2d",
            "9 blocks: features.5.0 … features.5.8", "downsampling: layer_norm2d · conv2d",
            "3 blocks: features.7.0 … features.7.2");
        assertThat(stages.get(7).last().id()).isEqualTo("features.7.2.add");
        Network small = VisionModel.builder().setArch("convnext_small").setClasses(3).build();
        assertThat(BodyStages.of(small, 224, 224).get(5).members()).isEqualTo("27 blocks: features.5.0 … features.5.26");
        // the DenseNet transitions, named sublayers, keep their layer count
        Network dense = VisionModel.builder().setArch("densenet121").setClasses(3).build();
        assertThat(BodyStages.of(dense, 224, 224).get(2).members()).isEqualTo("4 layers");
    }

    @Test
    void idPrefixesCountDots() {
        assertThat(BodyStages.prefix("features.3.conv.0", 2)).isEqualTo("features.3");
        assertThat(BodyStages.prefix("conv1", 2)).isEqualTo("conv1");
        assertThat(BodyStages.prefix("layer1.0.conv1", 1)).isEqualTo("layer1");
    }
}
