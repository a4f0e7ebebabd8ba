package dev.graft.models.head;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Layer.BatchNorm;
import dev.graft.models.spec.Layer.ConcatPool;
import dev.graft.models.spec.Layer.Dropout;
import dev.graft.models.spec.Layer.Flatten;
import dev.graft.models.spec.Layer.Linear;
import dev.graft.models.spec.Layer.Relu;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One test per create_head option, each against the module list fastai builds for it. */
class HeadsTest {

    private static long params(List<Layer> layers) {
        return Network.learnableCount(Heads.nodes(layers, "x"));
    }

    @Test
    void defaultHeadIsFastaisNineModules() {
        List<Layer> head = Heads.layers(512, 37, HeadOptions.defaults());
        assertThat(head).containsExactly(
            new ConcatPool(), new Flatten(),
            BatchNorm.of1d(1024), new Dropout(0.25), new Linear(1024, 512, false), new Relu(),
            BatchNorm.of1d(512), new Dropout(0.5), new Linear(512, 37, false));
        assertThat(params(head)).isEqualTo(546_304);
        assertThat(params(Heads.layers(2048, 10, HeadOptions.defaults()))).isEqualTo(2_111_488);
    }

    @Test
    void headNodeIdsAreFastaiSequentialIndices() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        assertThat(net.headNodes()).extracting(Node::id)
            .containsExactly("head.0", "head.1", "head.2", "head.3", "head.4", "head.5", "head.6", "head.7", "head.8");
        assertThat(net.headStart()).contains("head.0");
        assertThat(net.headNodes().get(0).inputs()).containsExactly("layer4.1.relu_1");
        assertThat(net.params()).containsKeys("head.2.running_mean", "head.4.weight", "head.6.bias", "head.8.weight");
        assertThat(net.params()).doesNotContainKeys("head.4.bias", "head.8.bias");
    }

    @Test
    void linFtrsAddsHiddenLayersAndHalvesDropout() {
        List<Layer> head = Heads.layers(512, 10, HeadOptions.builder().optLinFtrs(List.of(512, 256)).build());
        assertThat(head).containsExactly(
            new ConcatPool(), new Flatten(),
            BatchNorm.of1d(1024), new Dropout(0.25), new Linear(1024, 512, false), new Relu(),
            BatchNorm.of1d(512), new Dropout(0.25), new Linear(512, 256, false), new Relu(),
            BatchNorm.of1d(256), new Dropout(0.5), new Linear(256, 10, false));
        List<Layer> none = Heads.layers(512, 10, HeadOptions.builder().optLinFtrs(List.of()).build());
        assertThat(none).containsExactly(new ConcatPool(), new Flatten(), BatchNorm.of1d(1024), new Dropout(0.5),
            new Linear(1024, 10, false));
    }

    @Test
    void psAsOneValueOrOnePerLinear() {
        assertThat(Heads.layers(512, 3, HeadOptions.builder().optPs(0.2).build()))
            .contains(new Dropout(0.1), new Dropout(0.2));
        assertThat(Heads.layers(512, 3, HeadOptions.builder().optPs(List.of(0.3, 0.4)).build()))
            .contains(new Dropout(0.3), new Dropout(0.4));
        // p = 0 drops the Dropout module altogether, shifting the indices as in fastai
        List<Layer> noDrop = Heads.layers(512, 3, HeadOptions.builder().optPs(0.0).build());
        assertThat(noDrop).noneMatch(l -> l instanceof Dropout).hasSize(7);
        assertThatThrownBy(() -> Heads.layers(512, 3, HeadOptions.builder().optPs(List.of(0.1, 0.2, 0.3)).build()))
            .isInstanceOf(GraftException.class).hasMessageContaining("3 dropout probabilities for 2 linear layers");
        assertThatThrownBy(() -> HeadOptions.builder().optPs(1.5).build()).isInstanceOf(GraftException.class);
    }

    @Test
    void noConcatPoolUsesAveragePoolAndKeepsNf() {
        List<Layer> head = Heads.layers(512, 3, HeadOptions.builder().optConcatPool(false).build());
        assertThat(head.get(0)).isEqualTo(new Layer.AvgPool());
        assertThat(head.get(2)).isEqualTo(BatchNorm.of1d(512));
        assertThat(head.get(4)).isEqualTo(new Linear(512, 512, false));
    }

    @Test
    void noPoolStartsWithTheFirstBlock() {
        List<Layer> head = Heads.layers(512, 3, HeadOptions.builder().optPool(false).build());
        assertThat(head.get(0)).isEqualTo(BatchNorm.of1d(512));
        assertThat(head).hasSize(7);
    }

    @Test
    void firstBnFalseDropsTheFirstBatchNormAndGivesTheLinearABias() {
        List<Layer> head = Heads.layers(512, 3, HeadOptions.builder().optFirstBn(false).build());
        assertThat(head).containsExactly(
            new ConcatPool(), new Flatten(), new Dropout(0.25), new Linear(1024, 512, true), new Relu(),
            BatchNorm.of1d(512), new Dropout(0.5), new Linear(512, 3, false));
    }

    @Test
    void bnFinalAppendsBatchNormWithMomentum001() {
        List<Layer> head = Heads.layers(512, 3, HeadOptions.builder().optBnFinal(true).build());
        assertThat(head.get(head.size() - 1)).isEqualTo(new BatchNorm(3, 1, 1e-5, 0.01));
    }

    @Test
    void linFirstPutsLinearBeforeBatchNormAndEndsWithABiasedLinear() {
        List<Layer> head = Heads.layers(512, 3, HeadOptions.builder().optLinFirst(true).build());
        assertThat(head).containsExactly(
            new ConcatPool(), new Flatten(), new Dropout(0.25),
            new Linear(1024, 512, false), new Relu(), BatchNorm.of1d(512), new Dropout(0.5),
            new Linear(512, 3, true));
    }

    @Test
    void yRangeAppendsSigmoidRange() {
        List<Layer> head = Heads.layers(512, 1, HeadOptions.builder().optYRange(0, 5).build());
        assertThat(head.get(head.size() - 1)).isEqualTo(new Layer.SigmoidRange(0, 5));
        assertThatThrownBy(() -> HeadOptions.builder().optYRange(5, 0).build())
            .isInstanceOf(GraftException.class).hasMessageContaining("low < high");
    }

    @Test
    void customHeadReplacesFastaisHead() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(4)
            .optCustomHead(List.of(new Layer.AvgPool(), new Flatten(), new Linear(512, 4, true))).build();
        assertThat(net.headNodes()).hasSize(3);
        assertThat(Network.learnableCount(net.headNodes())).isEqualTo(512 * 4 + 4);
        assertThatThrownBy(() -> VisionModel.builder().setArch("resnet18").setClasses(4)
            .optCustomHead(List.of(new Layer.AvgPool(), new Flatten(), new Linear(1024, 4, true))).build())
            .isInstanceOf(GraftException.class).hasMessageContaining("expects 1024 input channels/features but receives 512");
    }
}
