package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.OnnxOpset;
import dev.graft.exporter.onnx.proto.OnnxProto.AttributeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The mobile bodies exported: every BatchNorm folded (into depthwise convolutions too), grouped convolutions, the
 * activations as ops of the chosen opset, and the numbers of the plain-Java spec interpreter (double precision).
 */
class MobileExportTest {
    private static final int SIZE = 64;

    @ParameterizedTest(name = "{0} at opset {1}")
    @CsvSource({
        "mobilenet_v2, 17",
        "mobilenet_v2, 13",
        "mobilenet_v3_large, 17",
        "mobilenet_v3_large, 13",
        "mobilenet_v3_small, 17",
        "mobilenet_v3_small, 13",
        "efficientnet_b0, 17",
        "efficientnet_b0, 13",
    })
    void foldedExportMatchesTheSpecAndUsesTheOpsetsOps(String arch, int opset) {
        Network net = TestModels.resnet(arch, 5, HeadOptions.defaults());
        Map<String, Tensor> weights = TestModels.randomWeights(net, arch.hashCode());
        ExportOptions options = TestModels.options(net, weights).optOpset(opset).optWithLogits(true)
                .optInputSize(SIZE, SIZE).build();
        ModelProto model = OnnxExporter.export(options);
        Map<String, Integer> ops = OnnxExporter.opHistogram(model);

        // the proof against the double-precision interpreter (probabilities), and the logits on their own scale
        ExportProof.Result proof = ExportProof.verify(model, new SpecInterpreter(net, weights), 3, 2, SIZE, SIZE,
                ExportProof.DEFAULT_TOLERANCE);
        float[] x = TestModels.gaussian(5, 2 * 3 * SIZE * SIZE);
        Map<String, FloatTensor> out = TestModels.run(model, OptLevel.ALL_OPT, x, 2, 3, SIZE, SIZE);
        float[] expected = new SpecInterpreter(net, weights).forward(x, 2, 3, SIZE, SIZE);
        float[] logits = out.get(GraftMetadata.LOGITS_NAME).data();
        double logitDiff = TestModels.maxAbsDiff(logits, expected) / Math.max(1, TestModels.maxAbs(expected));
        System.out.printf("%s opset %d: %d nodes %s; proof %.2g, relative logits diff %.2g%n", arch, opset,
                model.getGraph().getNodeCount(), ops, proof.maxAbsDiff(), logitDiff);
        assertThat(proof.passed()).as("proof diff %s", proof.maxAbsDiff()).isTrue();
        assertThat(logitDiff).isLessThanOrEqualTo(1e-4);

        assertThat(ops).doesNotContainKeys("BatchNormalization", "Dropout", "Identity");
        long depthwise = model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv"))
                .filter(n -> group(n) > 1).count();
        long grouped = net.nodes().stream().filter(n -> n.layer() instanceof Layer.Conv2d c && c.groups() > 1).count();
        assertThat(depthwise).isEqualTo(grouped).isPositive();
        switch (arch) {
            case "mobilenet_v2" -> assertThat(ops).containsKey("Clip").doesNotContainKeys("HardSwish", "HardSigmoid");
            case "efficientnet_b0" -> assertThat(ops).containsKey("Sigmoid").doesNotContainKeys("HardSwish", "Clip");
            default -> {
                assertThat(ops).containsKey("HardSigmoid");
                if (opset >= 14) {
                    assertThat(ops).containsKey("HardSwish");
                } else {
                    assertThat(ops).doesNotContainKey("HardSwish");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
        "efficientnet_b0"})
    void theOnnxCheckerAcceptsThemAtBothEndsOfTheOpsetRange(String arch, @TempDir Path dir) {
        OnnxChecker.assumeAvailable();
        Network net = TestModels.resnet(arch, 2, HeadOptions.defaults());
        for (int opset : new int[] {OnnxOpset.MIN, OnnxOpset.MAX}) {
            Path file = dir.resolve(arch + "-" + opset + ".onnx");
            OnnxFiles.writeAtomically(OnnxExporter.export(TestModels.options(net, TestModels.randomWeights(net, 1))
                    .optOpset(opset).build()), file);
            OnnxChecker.assertValid(file);
        }
    }

    private static long group(NodeProto n) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals("group")).mapToLong(AttributeProto::getI)
                .findFirst().orElse(1);
    }

    @Test
    void foldedMatchesUnfoldedForEfficientNet() {
        Network net = TestModels.resnet("efficientnet_b0", 3, HeadOptions.defaults());
        ExportOptions options = TestModels.options(net, TestModels.randomWeights(net, 9)).optWithLogits(true)
                .optInputSize(SIZE, SIZE).build();
        ModelProto folded = OnnxExporter.export(options);
        ModelProto unfolded = OnnxExporter.export(options.toBuilder().optFold(false).build());
        float[] x = TestModels.gaussian(17, 2 * 3 * SIZE * SIZE);
        float[] f = TestModels.run(folded, OptLevel.ALL_OPT, x, 2, 3, SIZE, SIZE).get(GraftMetadata.LOGITS_NAME).data();
        float[] u = TestModels.run(unfolded, OptLevel.NO_OPT, x, 2, 3, SIZE, SIZE).get(GraftMetadata.LOGITS_NAME).data();
        assertThat(OnnxExporter.opHistogram(unfolded)).containsKey("BatchNormalization");
        assertThat(TestModels.maxAbsDiff(f, u) / Math.max(1, TestModels.maxAbs(u))).isLessThanOrEqualTo(1e-4);
        assertThat(folded.getGraph().getNodeCount()).isLessThan(unfolded.getGraph().getNodeCount());
    }
}
