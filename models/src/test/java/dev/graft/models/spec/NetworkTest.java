package dev.graft.models.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkTest {

    @Test
    void nodesAreChecked() {
        assertThatThrownBy(() -> new Node(" ", new Layer.Relu(), List.of(Network.INPUT)))
            .hasMessage("a node needs an id other than 'input'");
        assertThatThrownBy(() -> new Node(Network.INPUT, new Layer.Relu(), List.of(Network.INPUT)))
            .hasMessage("a node needs an id other than 'input'");
        assertThatThrownBy(() -> new Node("r", null, List.of(Network.INPUT))).hasMessage("node r has no layer");
        assertThatThrownBy(() -> new Node("r", new Layer.Relu(), List.of())).hasMessage("node r reads no input");
    }

    @Test
    void eachKindReadsItsNumberOfInputs() {
        List<String> one = List.of("x");
        List<String> two = List.of("x", "y");
        List<String> three = List.of("x", "y", "z");
        for (Layer l : SpecSamples.oneOfEachKind()) {
            boolean add = l instanceof Layer.Add || l instanceof Layer.Concat;
            boolean mul = l instanceof Layer.Mul;
            for (List<String> inputs : List.of(one, two, three)) {
                boolean fits = add ? inputs.size() >= 2 : mul ? inputs.size() == 2 : inputs.size() == 1;
                if (fits) {
                    assertThat(new Node("n", l, inputs).inputs()).isEqualTo(inputs);
                } else {
                    assertThatThrownBy(() -> new Node("n", l, inputs)).as(l.kind() + " with " + inputs.size())
                        .hasMessage("node n (" + l.kind() + ") has " + inputs.size() + " inputs");
                }
            }
        }
    }

    @Test
    void networksAreChecked() {
        assertThatThrownBy(() -> Network.builder().inputChannels(0).add("r", new Layer.Relu()).group("g", "r").build())
            .hasMessage("input channels must be positive, not 0");
        assertThatThrownBy(() -> Network.builder().group("g", "r").build()).hasMessage("a network needs at least one node");
        assertThatThrownBy(() -> Network.builder().add("r", new Layer.Relu(), "later").add("later", new Layer.Relu())
                .group("g", "r", "later").build())
            .hasMessage("node r reads 'later', which is not an earlier node");
        assertThatThrownBy(() -> Network.builder().add("r", new Layer.Relu()).add("r", new Layer.Relu()).group("g", "r").build())
            .hasMessage("duplicate node id r");
        assertThatThrownBy(() -> Network.builder().add("r", new Layer.Relu()).bodyEnd("s").group("g", "r").build())
            .hasMessage("body end 's' is not a node");
        assertThatThrownBy(() -> Network.builder().add("r", new Layer.Relu()).build())
            .hasMessage("a network needs at least one layer group");
        assertThatThrownBy(() -> Network.builder().add("r", new Layer.Relu()).add("s", new Layer.Relu()).group("g", "r").build())
            .hasMessage("node s is in 0 layer groups; it must be in exactly one");
        assertThatThrownBy(() -> new LayerGroup("g", List.of())).hasMessage("layer group g has no members");
    }

    @Test
    void bodyHeadAndGroupsAreWhereTheSpecSays() {
        Network net = SpecSamples.everyKind();
        assertThat(net.bodyEnd()).isEqualTo("cn.add");
        assertThat(net.headStart()).contains("head.0");
        assertThat(net.bodyNodes()).hasSize(25);
        assertThat(net.headNodes()).extracting(Node::id).startsWith("head.0").endsWith("head.6");
        assertThat(net.bodyChildren()).containsExactly("conv1", "bn1", "relu", "maxpool", "block", "se", "dense", "cn");
        assertThat(net.groupOf("block.add")).isZero();
        assertThat(net.groupOf("head.3")).isEqualTo(1);
        assertThat(net.consumers().get("maxpool")).containsExactly("block.conv", "block.add");
        assertThat(net.consumers().get("block.add")).containsExactly("block.hswish", "dense.cat");
        assertThat(net.output().id()).isEqualTo("head.6");
        assertThat(net.toBuilder().build()).isEqualTo(net);
    }

    @Test
    void batchNormPairsAreTheLayersTheyAloneRead() {
        Network net = SpecSamples.everyKind();
        List<BatchNormPair> pairs = net.batchNormPairs();
        assertThat(pairs).extracting(p -> p.layer().id() + ">" + p.batchNorm().id()).containsExactly("conv1>bn1", "head.4>head.5");
        assertThat(pairs).allMatch(BatchNormPair::direct);
        assertThat(pairs.get(0).convolution()).isTrue();
        assertThat(pairs.get(1).convolution()).isFalse();
    }

    @Test
    void aPairMayReachThroughDropoutsButNotPastAnotherReader() {
        Network net = Network.builder().inputChannels(4)
            .add("p", new Layer.AvgPool())
            .add("f", new Layer.Flatten())
            .add("lin", new Layer.Linear(4, 8, false))
            .add("drop1", new Layer.Dropout(0.1))
            .add("drop2", new Layer.Dropout(0.2))
            .add("bn", Layer.BatchNorm.of1d(8))
            .add("conv", Layer.Conv2d.square(4, 4, 1, 1, 0, false), Network.INPUT)
            .add("bn2", Layer.BatchNorm.of2d(4))
            .add("add", new Layer.Add(), "bn2", "conv")
            .add("bn3", Layer.BatchNorm.of2d(4), Network.INPUT)
            .group("all", "p", "f", "lin", "drop1", "drop2", "bn", "conv", "bn2", "add", "bn3")
            .build();
        List<BatchNormPair> pairs = net.batchNormPairs();
        // conv is read by bn2 and by add, so bn2 cannot fold into it; bn3 reads the image
        assertThat(pairs).hasSize(1);
        assertThat(pairs.get(0).layer().id()).isEqualTo("lin");
        assertThat(pairs.get(0).batchNorm().id()).isEqualTo("bn");
        assertThat(pairs.get(0).dropouts()).extracting(Node::id).containsExactly("drop1", "drop2");
        assertThat(pairs.get(0).direct()).isFalse();
    }

    @Test
    void everyResNetBatchNormPairsWithItsConvolution() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3)
            .optHead(HeadOptions.builder().optBnFinal(true).build()).build();
        long batchNorms = net.nodes().stream().filter(n -> n.layer() instanceof Layer.BatchNorm).count();
        List<BatchNormPair> pairs = net.batchNormPairs();
        // every body BatchNorm (20) and bn_final after the last Linear; the head's BatchNorm1d before a Linear pair with nothing
        assertThat(pairs.stream().filter(BatchNormPair::convolution)).hasSize(20);
        assertThat(pairs.stream().filter(p -> !p.convolution())).extracting(p -> p.batchNorm().id()).containsExactly("head.9");
        assertThat(batchNorms).isEqualTo(23);
    }
}
