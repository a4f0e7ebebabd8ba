package dev.graft.models.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.NetworkJson;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import dev.graft.models.spec.Shapes;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.Naming;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.WeightLoader;
import dev.graft.models.weights.WeightNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** MobileNetV2, MobileNetV3 (large, small) and EfficientNet-B0: torchvision's counts, names, cut and split. */
class MobileArchitecturesTest {

    @ParameterizedTest(name = "{0}: whole {1}, body {2}, {3} channels")
    @CsvSource({
        "mobilenet_v2, 3504872, 2223872, 1280",
        "mobilenet_v3_large, 5483032, 2971952, 960",
        "mobilenet_v3_small, 2542856, 927008, 576",
        "efficientnet_b0, 5288548, 4007548, 1280",
    })
    void parameterCountsAndBodyChannelsEqualTorchvision(String arch, long whole, long body, int channels) {
        assertThat(VisionModel.torchvision(arch, 1000).learnableCount()).isEqualTo(whole);
        Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
        assertThat(Network.learnableCount(net.bodyNodes())).isEqualTo(body);
        assertThat(net.bodyChildren()).containsExactly("features");
        int[] out = Shapes.infer(net, 224, 224).get(net.bodyEnd());
        assertThat(out).containsExactly(channels, 7, 7);
        // fastai's default head: concat pooling doubles nf, then BN, dropout, Linear(2 nf, 512), ...
        assertThat(net.headNodes().get(0).layer()).isEqualTo(new Layer.ConcatPool());
        assertThat(net.headNodes().get(2).layer()).isEqualTo(Layer.BatchNorm.of1d(2 * channels));
        assertThat(net.headNodes().get(4).layer()).isEqualTo(new Layer.Linear(2 * channels, 512, false));
        assertThat(Shapes.infer(net, 224, 224).get(net.output().id())).containsExactly(10);
    }

    @Test
    void torchvisionNamesAndShapes() {
        Map<String, Param> v2 = VisionModel.torchvision("mobilenet_v2", 1000).params();
        assertThat(v2.get("features.0.0.weight").shape()).containsExactly(32, 3, 3, 3);
        assertThat(v2.get("features.1.conv.0.0.weight").shape()).containsExactly(32, 1, 3, 3); // depthwise, t = 1
        assertThat(v2.get("features.1.conv.1.weight").shape()).containsExactly(16, 32, 1, 1);
        assertThat(v2.get("features.3.conv.1.0.weight").shape()).containsExactly(144, 1, 3, 3);
        assertThat(v2.get("features.18.1.running_var").shape()).containsExactly(1280);
        assertThat(v2.get("classifier.1.weight").shape()).containsExactly(1000, 1280);

        Map<String, Param> large = VisionModel.torchvision("mobilenet_v3_large", 1000).params();
        assertThat(large.get("features.4.block.2.fc1.weight").shape()).containsExactly(24, 72, 1, 1);
        assertThat(large.get("features.4.block.2.fc2.bias").shape()).containsExactly(72);
        assertThat(large.get("features.16.0.weight").shape()).containsExactly(960, 160, 1, 1);
        assertThat(large.get("classifier.3.weight").shape()).containsExactly(1000, 1280);

        Map<String, Param> b0 = VisionModel.torchvision("efficientnet_b0", 1000).params();
        assertThat(b0.get("features.1.0.block.1.fc1.weight").shape()).containsExactly(8, 32, 1, 1);
        assertThat(b0.get("features.2.1.block.1.0.weight").shape()).containsExactly(144, 1, 3, 3);
        assertThat(b0.get("features.8.0.weight").shape()).containsExactly(1280, 320, 1, 1);
    }

    @Test
    void blocksHaveTheirResidualsSqueezeExcitationAndStochasticDepth() {
        Network v2 = VisionModel.torchvision("mobilenet_v2", 1000);
        assertThat(v2.findNode("features.2.add")).isEmpty(); // stride 2
        assertThat(v2.node("features.3.add").inputs()).containsExactly("features.2.conv.3", "features.3.conv.3");
        assertThat(v2.node("features.3.conv.1.2").layer()).isEqualTo(new Layer.Relu6());

        Network small = VisionModel.torchvision("mobilenet_v3_small", 1000);
        Node mul = small.node("features.1.block.1.mul");
        assertThat(mul.layer()).isEqualTo(new Layer.Mul());
        assertThat(mul.inputs()).containsExactly("features.1.block.0.2", "features.1.block.1.scale_activation");
        assertThat(small.node("features.1.block.1.scale_activation").layer()).isEqualTo(new Layer.Hardsigmoid());
        var bn = (Layer.BatchNorm) small.node("features.0.1").layer();
        assertThat(bn.eps()).isEqualTo(0.001);
        assertThat(bn.momentum()).isEqualTo(0.01);

        Network b0 = VisionModel.torchvision("efficientnet_b0", 1000);
        assertThat(b0.findNode("features.2.0.stochastic_depth")).isEmpty(); // no residual, no stochastic depth
        assertThat(b0.node("features.2.1.stochastic_depth").layer()).isEqualTo(Layer.StochasticDepth.row(0.2 * 2 / 16));
        assertThat(b0.node("features.7.0.block.2.scale_activation").layer()).isEqualTo(new Layer.Sigmoid());
        assertThat(b0.node("features.6.3.stochastic_depth").layer()).isEqualTo(Layer.StochasticDepth.row(0.2 * 14 / 16));
    }

    @ParameterizedTest
    @CsvSource({
        "mobilenet_v2, 7, features.6.add, features.7.conv.0.0",
        "mobilenet_v3_large, 7, features.6.add, features.7.block.0.0",
        "mobilenet_v3_small, 4, features.3.add, features.4.block.0.0",
        "efficientnet_b0, 4, features.3.1.add, features.4.0.block.0.0",
    })
    void splitIntoTwoBodyGroupsAtOutputStride16AndTheHead(String arch, int split, String lastOfFirst,
                                                           String firstOfSecond) {
        Network net = VisionModel.builder().setArch(arch).setClasses(4).build();
        assertThat(net.groups()).hasSize(3);
        assertThat(net.groups().get(0).members()).hasSize(split).startsWith("features.0").endsWith("features." + (split - 1));
        assertThat(net.groupOf(lastOfFirst)).isZero();
        assertThat(net.groupOf(firstOfSecond)).isEqualTo(1);
        assertThat(net.groupOf("head.4")).isEqualTo(2);
        // the first block of the second group halves the resolution to 1/16
        int[] before = Shapes.infer(net, 224, 224).get(lastOfFirst);
        assertThat(before[1]).isEqualTo(224 / 8);
    }

    @Test
    void cutDefaultsKeepFeatures() {
        Network v2 = VisionModel.builder().setArch("mobilenet_v2").setClasses(3).build();
        assertThat(v2.bodyEnd()).isEqualTo("features.18.2");
        assertThat(VisionModel.builder().setArch("mobilenet_v2").setClasses(3).optCut(Cut.index(-1)).build()).isEqualTo(v2);
        for (String arch : List.of("mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0")) {
            Network net = VisionModel.builder().setArch(arch).setClasses(3).build();
            assertThat(VisionModel.builder().setArch(arch).setClasses(3).optCut(Cut.auto()).build()).isEqualTo(net);
            // cut -1 keeps the avgpool too: it joins the second group
            Network longer = VisionModel.builder().setArch(arch).setClasses(3).optCut(Cut.index(-1)).build();
            assertThat(longer.bodyChildren()).containsExactly("features", "avgpool");
            assertThat(longer.groupOf("avgpool")).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0"})
    void nInChangesOnlyTheFirstConvolutionAndJsonRoundTrips(String arch) {
        Network three = VisionModel.builder().setArch(arch).setClasses(5).build();
        Network one = VisionModel.builder().setArch(arch).setClasses(5).optInputChannels(1).build();
        assertThat(one.params().get("features.0.0.weight").shape()).containsExactly(
            three.params().get("features.0.0.weight").shape().get(0), 1, 3, 3);
        assertThat(one.params().size()).isEqualTo(three.params().size());
        assertThat(NetworkJson.read(NetworkJson.write(one))).isEqualTo(one);
        // fastai's state-dict keys: the body is Sequential(features), so features.N... is 0.0.N...
        assertThat(new WeightNames(one).toFastai("features.0.0.weight")).isEqualTo("0.0.0.0.weight");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "efficientnet_b0"})
    void loadsFastaiStateDictsAndTorchvisionBodies(String arch) {
        Network net = VisionModel.builder().setArch(arch).setClasses(4).build();
        Map<String, Tensor> graft = Initializer.init(net, 5);
        WeightNames names = new WeightNames(net);
        Map<String, Tensor> fastai = new LinkedHashMap<>();
        graft.forEach((k, t) -> fastai.put(names.toFastai(k), t));
        String lastBn = arch.equals("mobilenet_v2") ? "0.0.18.1.running_var" : "0.0.8.1.running_var";
        assertThat(fastai).containsKeys("0.0.0.0.weight", lastBn, "1.4.weight");
        WeightLoader.Loaded loaded = WeightLoader.load(net, fastai, LoadMode.ALL);
        assertThat(loaded.naming()).isEqualTo(Naming.FASTAI);
        assertThat(loaded.tensors()).isEqualTo(graft);

        // a whole torchvision file as the pretrained body: the classifier is ignored, the body fits exactly
        Map<String, Tensor> torchvision = Initializer.init(VisionModel.torchvision(arch, 1000), 6);
        WeightLoader.Loaded body = WeightLoader.load(net, torchvision, LoadMode.BODY);
        assertThat(body.tensors().keySet()).containsExactlyElementsOf(
            net.bodyNodes().stream().flatMap(n -> n.layer().params().stream().map(n::paramName)).toList());
        assertThat(body.ignored()).contains(arch.equals("mobilenet_v2") ? "classifier.1.weight" : "classifier.1.bias");
    }

    @Test
    void everyHeadOptionFits() {
        HeadOptions odd = HeadOptions.builder().optLinFtrs(List.of(256, 128)).optConcatPool(false).optBnFinal(true)
            .optLinFirst(true).optYRange(0, 1).build();
        Network net = VisionModel.builder().setArch("mobilenet_v3_small").setClasses(2).optHead(odd).build();
        assertThat(Shapes.infer(net, 96, 96).get(net.output().id())).containsExactly(2);
        assertThat(net.headNodes().get(3).layer()).isEqualTo(new Layer.Linear(576, 256, false)); // lin_first, BN after it
    }

    @Test
    void newLayersCheckTheirAttributesAndInputs() {
        assertThatThrownBy(() -> new Layer.StochasticDepth(1.0, "row")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Layer.StochasticDepth(0.1, "column")).hasMessageContaining("row");
        assertThatThrownBy(() -> new Node("m", new Layer.Mul(), List.of("input")))
            .hasMessageContaining("has 1 inputs");
        assertThatThrownBy(() -> Network.builder().inputChannels(4)
            .add("a", new Layer.AvgPool())
            .add("c", Layer.Conv2d.square(4, 2, 1, 1, 0, true))
            .add("m", new Layer.Mul(), "input", "c").group("all", "a", "c", "m").build())
            .hasMessageContaining("cannot broadcast");
        assertThatThrownBy(() -> Shapes.infer(VisionModel.builder().setArch("efficientnet_b0").setClasses(2).build(), 0, 8))
            .isInstanceOf(GraftException.class);
    }
}
