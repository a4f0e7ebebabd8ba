package dev.graft.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.OnnxOpset;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.ConvNeXt;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ConvNeXt exported (narrowed, so the double-precision interpreter stays quick): layer norms, GELU, the pointwise
 * layers and the layer scales against the spec interpreter at both ends of the opset range, with standard operators
 * only (no Gelu, which needs opset 20; LayerNormalization only from opset 17).
 */
class ConvNeXtExportTest {
    private static final int SIZE = 64;

    private static Network narrow() {
        return VisionModel.builder().setArch(ConvNeXt.tiny().narrowed(8, 2)).setClasses(5).build();
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {13, 14, 17})
    void exportMatchesTheSpecInterpreter(int opset) {
        Network net = narrow();
        Map<String, Tensor> weights = TestModels.randomWeights(net, 21);
        ModelProto model = OnnxExporter.export(TestModels.options(net, weights).optOpset(opset).optWithLogits(true)
                .optInputSize(SIZE, SIZE).build());
        Map<String, Integer> ops = OnnxExporter.opHistogram(model);

        ExportProof.Result proof = ExportProof.verify(model, new SpecInterpreter(net, weights), 3, 2, SIZE, SIZE,
                ExportProof.DEFAULT_TOLERANCE);
        float[] x = TestModels.gaussian(5, 2 * 3 * SIZE * SIZE);
        float[] logits = TestModels.run(model, OptLevel.ALL_OPT, x, 2, 3, SIZE, SIZE)
                .get(GraftMetadata.LOGITS_NAME).data();
        float[] expected = new SpecInterpreter(net, weights).forward(x, 2, 3, SIZE, SIZE);
        double logitDiff = TestModels.maxAbsDiff(logits, expected) / Math.max(1, TestModels.maxAbs(expected));
        System.out.printf("convnext narrowed, opset %d: %d nodes %s; proof %.2g, relative logits diff %.2g, logits up"
                + " to %.3g%n", opset, model.getGraph().getNodeCount(), ops, proof.maxAbsDiff(), logitDiff,
                TestModels.maxAbs(expected));
        assertThat(proof.passed()).as(proof.explanation() + ": " + proof.maxAbsDiff()).isTrue();
        assertThat(logitDiff).isLessThanOrEqualTo(1e-4);
        assertThat(TestModels.maxAbs(expected)).as("the blocks and the head are not negligible").isGreaterThan(0.1);

        long norms = net.nodes().stream().filter(n -> n.layer() instanceof Layer.LayerNorm2d).count();
        long pointwise = net.nodes().stream().filter(n -> n.layer() instanceof Layer.ChannelLinear).count();
        long convolutions = net.nodes().stream().filter(n -> n.layer() instanceof Layer.Conv2d).count();
        assertThat(ops).doesNotContainKeys("Gelu", "Dropout", "Identity", "MatMul");
        assertThat(ops.get("Erf")).isEqualTo((int) net.nodes().stream().filter(n -> n.layer() instanceof Layer.Gelu)
                .count());
        // every ChannelLinear is a 1x1 Conv, every layer scale folded into the second of its block
        assertThat(ops.get("Conv")).isEqualTo((int) (convolutions + pointwise));
        if (opset >= 17) {
            assertThat(ops.get("LayerNormalization")).isEqualTo((int) norms);
            assertThat(ops.get("Transpose")).isEqualTo((int) (2 * norms));
            assertThat(ops).doesNotContainKeys("ReduceMean", "Sqrt");
        } else {
            assertThat(ops).doesNotContainKeys("LayerNormalization", "Transpose");
            assertThat(ops.get("ReduceMean")).isEqualTo((int) (2 * norms));
            assertThat(ops.get("Sqrt")).isEqualTo((int) norms);
        }
    }

    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {13, 17})
    void float16RunsCloseToFloat32(int opset) {
        Network net = narrow();
        ExportOptions options = TestModels.options(net, TestModels.randomWeights(net, 8)).optOpset(opset)
                .optWithLogits(true).optInputSize(SIZE, SIZE).optPrecision(Precision.FP16).build();
        ModelProto fp32 = OnnxExporter.exportFp32(options);
        ModelProto fp16 = OnnxExporter.export(options);
        float[] x = TestModels.gaussian(9, 2 * 3 * SIZE * SIZE);
        float[] a = TestModels.run(fp32, OptLevel.ALL_OPT, x, 2, 3, SIZE, SIZE).get(GraftMetadata.LOGITS_NAME).data();
        float[] b = TestModels.run(fp16, OptLevel.ALL_OPT, x, 2, 3, SIZE, SIZE).get(GraftMetadata.LOGITS_NAME).data();
        double diff = TestModels.maxAbsDiff(a, b);
        System.out.printf("convnext narrowed fp16, opset %d: max |logits difference| from fp32 %.2e (max |logit|"
                + " %.3g)%n", opset, diff, TestModels.maxAbs(a));
        assertThat(diff).isLessThan(5e-3 * Math.max(1, TestModels.maxAbs(a)));
    }

    @Test
    void foldedLayerScalesMatchTheUnfoldedGraph() {
        Network net = narrow();
        ExportOptions options = TestModels.options(net, TestModels.randomWeights(net, 4)).optWithLogits(true)
                .optInputSize(SIZE, SIZE).build();
        ModelProto folded = OnnxExporter.export(options);
        ModelProto unfolded = OnnxExporter.export(options.toBuilder().optFold(false).build());
        long scales = net.nodes().stream().filter(n -> n.layer() instanceof Layer.LayerScale).count();
        int mulsFolded = OnnxExporter.opHistogram(folded).getOrDefault("Mul", 0);
        int mulsUnfolded = OnnxExporter.opHistogram(unfolded).getOrDefault("Mul", 0);
        assertThat(mulsUnfolded - mulsFolded).isEqualTo((int) scales);
        float[] x = TestModels.gaussian(17, 2 * 3 * SIZE * SIZE);
        float[] f = TestModels.run(folded, OptLevel.ALL_OPT, x, 2, 3, SIZE, SIZE).get(GraftMetadata.LOGITS_NAME).data();
        float[] u = TestModels.run(unfolded, OptLevel.NO_OPT, x, 2, 3, SIZE, SIZE).get(GraftMetadata.LOGITS_NAME).data();
        assertThat(TestModels.maxAbsDiff(f, u) / Math.max(1, TestModels.maxAbs(u))).isLessThanOrEqualTo(1e-5);
        // the folded pointwise weight keeps the checkpoint's name, shaped as a 1x1 convolution's
        assertThat(folded.getGraph().getInitializerList()).anySatisfy(t -> {
            assertThat(t.getName()).isEqualTo("features.1.0.block.5.weight");
            assertThat(t.getDimsList()).containsExactly(12L, 48L, 1L, 1L);
        });
    }

    @Test
    void onnxRuntimeFusesTheDecomposedGelu(@TempDir Path dir) {
        Network net = narrow();
        ModelProto model = OnnxExporter.export(TestModels.options(net, TestModels.randomWeights(net, 1))
                .optInputSize(SIZE, SIZE).build());
        Path file = dir.resolve("optimised.onnx");
        try (OrtRunner ignored = OrtRunner.open(model.toByteArray(), OptLevel.ALL_OPT, 1, file)) {
            // loading writes the optimised graph
        }
        Map<String, Integer> optimised = OnnxFiles.opHistogram(OnnxFiles.read(file));
        System.out.println("convnext narrowed, as ONNX Runtime optimises it: " + optimised);
        assertThat(optimised).containsKey("Gelu").doesNotContainKey("Erf");
    }

    @Test
    void theOnnxCheckerAcceptsItAtBothEndsOfTheOpsetRange(@TempDir Path dir) {
        OnnxChecker.assumeAvailable();
        Network net = narrow();
        for (int opset : new int[] {OnnxOpset.MIN, OnnxOpset.MAX}) {
            Path file = dir.resolve("convnext-" + opset + ".onnx");
            OnnxFiles.writeAtomically(OnnxExporter.export(TestModels.options(net, TestModels.randomWeights(net, 1))
                    .optOpset(opset).build()), file);
            OnnxChecker.assertValid(file);
        }
    }
}
