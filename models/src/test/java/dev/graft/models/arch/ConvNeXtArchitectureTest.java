package dev.graft.models.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.models.GraftException;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Shapes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ConvNeXt-Tiny and -Small: torchvision's counts, fastai's default cut and split, stochastic depth, small inputs. */
class ConvNeXtArchitectureTest {

    /** Counts measured with torchvision 0.14 ({@code sum(p.numel())} of the model and of {@code model.features}). */
    @ParameterizedTest(name = "{0}: whole {1}, body {2}")
    @CsvSource({
        "convnext_tiny, 28589128, 27818592",
        "convnext_small, 50223688, 49453152",
    })
    void countsAndBodyOutputEqualTorchvisionAndFastai(String arch, long whole, long body) {
        assertThat(VisionModel.torchvisionCount(arch, 1000)).isEqualTo(whole);
        Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
        assertThat(net.bodyChildren()).containsExactly("features");
        assertThat(Network.learnableCount(net.bodyNodes())).isEqualTo(body);
        assertThat(Shapes.infer(net, 224, 224).get(net.bodyEnd())).containsExactly(768, 7, 7);
    }

    @Test
    void defaultMetaCutsBeforeAvgpoolAndSplitsTheBodyAsOneGroup() {
        Network net = VisionModel.builder().setArch("convnext_tiny").setClasses(3).build();
        // _default_meta: cut=None, i.e. before the last child holding a pooling layer (avgpool)
        assertThat(net.bodyEnd()).isEqualTo("features.7.2.add");
        assertThat(net.nodes()).extracting(Node::id).doesNotContain("avgpool", "classifier.0", "classifier.2");
        // default_split: L(m[0], m[1:]): the body, then the head
        assertThat(net.groups()).hasSize(2);
        assertThat(net.groups().get(0).members()).containsExactly("features");
        assertThat(net.groupOf("features.0.0")).isZero();
        assertThat(net.groupOf("features.7.2.block.5")).isZero();
        assertThat(net.groupOf(net.headNodes().get(0).id())).isEqualTo(1);
        assertThat(Architectures.get("convnext_tiny").fastaiMeta()).contains("_default_meta");
        assertThat(Architectures.get("convnext_small").fastaiMeta()).contains("_default_meta");
    }

    @Test
    void blocksAndDownsamplingLayersHaveTorchvisionsShapes() {
        Network net = VisionModel.torchvision("convnext_tiny", 1000);
        Map<String, int[]> s = Shapes.infer(net, 224, 224);
        assertThat(s.get("features.0.1")).containsExactly(96, 56, 56);
        assertThat(s.get("features.1.0.block.3")).containsExactly(384, 56, 56);
        assertThat(s.get("features.2.1")).containsExactly(192, 28, 28);
        assertThat(s.get("features.4.1")).containsExactly(384, 14, 14);
        assertThat(s.get("features.6.1")).containsExactly(768, 7, 7);
        assertThat(net.node("features.1.0.add").inputs()).containsExactly("features.1.0.stochastic_depth", "features.0.1");
        assertThat(net.node("features.1.0").layer()).isInstanceOf(Layer.LayerScale.class);
        assertThat(((Layer.LayerNorm2d) net.node("features.0.1").layer()).eps()).isEqualTo(1e-6);
        assertThat(((Layer.LayerNorm2d) net.node("features.3.2.block.2").layer()).eps()).isEqualTo(1e-6);
    }

    /** torchvision: {@code sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)}. */
    @ParameterizedTest(name = "{0}: 0 .. {1} over {2} blocks")
    @CsvSource({
        "convnext_tiny, 0.1, 18",
        "convnext_small, 0.4, 36",
    })
    void stochasticDepthRisesLinearlyFromZeroToTheLastBlock(String arch, double max, int blocks) {
        Network net = VisionModel.torchvision(arch, 1000);
        List<Layer.StochasticDepth> sd = net.nodes().stream().map(Node::layer)
            .filter(Layer.StochasticDepth.class::isInstance).map(Layer.StochasticDepth.class::cast).toList();
        assertThat(sd).hasSize(blocks);
        for (int i = 0; i < blocks; i++) {
            assertThat(sd.get(i).p()).as("block %d", i).isCloseTo(max * i / (blocks - 1.0), within(1e-12));
            assertThat(sd.get(i).mode()).isEqualTo("row");
        }
        assertThat(sd.get(0).p()).isZero();
        assertThat(sd.get(blocks - 1).p()).isCloseTo(max, within(1e-12));
    }

    /** Four stride-2 halvings after a stride-4 stem, none padded: a side below 32 px leaves the last stage nothing. */
    @Test
    void inputsBelow32PixelsAreRefusedInOneLineNamingTheLayer() {
        Network net = VisionModel.builder().setArch("convnext_tiny").setClasses(3).build();
        assertThat(Shapes.infer(net, 32, 32).get(net.bodyEnd())).containsExactly(768, 1, 1);
        assertThat(Shapes.infer(net, 63, 32).get(net.bodyEnd())).containsExactly(768, 1, 1);
        assertThatThrownBy(() -> Shapes.infer(net, 31, 31)).isInstanceOf(GraftException.class)
            .hasMessage("the input size is too small: features.6.1 receives [384, 1, 1] and would produce nothing;"
                + " use a larger --size");
        assertThatThrownBy(() -> Shapes.infer(net, 224, 8)).isInstanceOf(GraftException.class)
            .hasMessageContaining("features.4.1 receives [192, 28, 1]");
        assertThatThrownBy(() -> Shapes.infer(net, 3, 3)).isInstanceOf(GraftException.class)
            .hasMessageContaining("features.0.0 receives [3, 3, 3]");
    }
}
