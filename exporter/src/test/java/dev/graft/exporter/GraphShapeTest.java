package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorShapeProto.Dimension;
import dev.graft.models.spec.Network;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The structure of the default resnet18 export: how few nodes, which ones, and names that lead back to the spec. */
class GraphShapeTest {
    private static ModelProto folded;
    private static ModelProto unfolded;

    @BeforeAll
    static void export() {
        Network net = TestModels.resnet18();
        ExportOptions options = TestModels.options(net, TestModels.randomWeights(net, 1)).build();
        folded = OnnxExporter.export(options);
        unfolded = OnnxExporter.export(options.toBuilder().optFold(false).build());
    }

    @Test
    void foldedGraphIsSmallerThanPyTorchsAndHasNoBatchNormOrDropout() {
        Map<String, Integer> histogram = OnnxExporter.opHistogram(folded);
        int count = folded.getGraph().getNodeCount();
        System.out.println("resnet18 + default head, folded: " + count + " nodes " + histogram);
        System.out.println("resnet18 + default head, unfolded: " + unfolded.getGraph().getNodeCount() + " nodes "
                + OnnxExporter.opHistogram(unfolded));

        assertThat(count).isLessThanOrEqualTo(56);
        assertThat(histogram).doesNotContainKeys("BatchNormalization", "Dropout", "Identity");
        assertThat(histogram).containsExactlyInAnyOrderEntriesOf(Map.of(
                "Conv", 20, "Relu", 18, "MaxPool", 1, "Add", 8, "GlobalMaxPool", 1, "GlobalAveragePool", 1,
                "Concat", 1, "Flatten", 1, "Gemm", 2, "Softmax", 1));
    }

    @Test
    void unfoldedGraphKeepsEveryLayer() {
        Map<String, Integer> histogram = OnnxExporter.opHistogram(unfolded);
        assertThat(histogram).containsEntry("BatchNormalization", 22).containsEntry("Dropout", 2);
    }

    @Test
    void concatPoolPutsMaxBeforeAverage() {
        NodeProto concat = node(folded, "head.0");
        assertThat(concat.getOpType()).isEqualTo("Concat");
        assertThat(concat.getInputList()).containsExactly("head.0.max", "head.0.avg");
        assertThat(node(folded, "head.0.max").getOpType()).isEqualTo("GlobalMaxPool");
    }

    @Test
    void namesLeadBackToTheSpec() {
        Set<String> initializers = folded.getGraph().getInitializerList().stream().map(TensorProto::getName)
                .collect(Collectors.toSet());
        // A folded convolution keeps its weight name, gains a bias, and writes its BatchNorm's tensor.
        assertThat(initializers).contains("conv1.weight", "conv1.bias", "layer1.0.conv1.weight",
                "layer1.0.conv1.bias", "layer2.0.downsample.0.bias", "head.4.weight", "head.4.bias", "head.8.bias");
        assertThat(initializers).noneMatch(n -> n.contains("running_"));
        assertThat(node(folded, "layer1.0.conv1").getOutputList()).containsExactly("layer1.0.bn1");
        // fastai's head: BatchNorm head.2 folds into Linear head.4, head.6 into head.8, which writes the logits.
        assertThat(node(folded, "head.4").getInputList().get(0)).isEqualTo("head.1");
        assertThat(node(folded, "head.8").getOutputList()).containsExactly(GraftMetadata.LOGITS_NAME);
        assertThat(node(unfolded, "head.2").getOpType()).isEqualTo("BatchNormalization");
    }

    @Test
    void inputAndOutputAreSymbolicWhereTheyMayVary() {
        List<Dimension> in = folded.getGraph().getInput(0).getType().getTensorType().getShape().getDimList();
        assertThat(folded.getGraph().getInput(0).getName()).isEqualTo("input");
        assertThat(in).extracting(Dimension::getDimParam).containsExactly("batch", "", "height", "width");
        assertThat(in.get(1).getDimValue()).isEqualTo(3);
        assertThat(folded.getGraph().getOutputList()).extracting(o -> o.getName()).containsExactly("probabilities");
        List<Dimension> out = folded.getGraph().getOutput(0).getType().getTensorType().getShape().getDimList();
        assertThat(out.get(0).getDimParam()).isEqualTo("batch");
        assertThat(out.get(1).getDimValue()).isEqualTo(3);
    }

    private static NodeProto node(ModelProto model, String name) {
        return model.getGraph().getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no node " + name));
    }
}
