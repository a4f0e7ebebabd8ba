package dev.graft.benchmarks.proof;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.ExportProof;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.TrainedReference;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.InferenceModel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * DenseNet and SqueezeNet at full width, with trained-like BatchNorm statistics: the export (Concat, AveragePool and
 * ceil-mode MaxPool) passes the proof against Graft's own float32/float64 forwards, and for densenet121 and
 * squeezenet1_1 its logits are at least as close to PyTorch's float64 forward of torchvision's {@code features} with
 * fastai's head as PyTorch's own float32 forward is (Debian's python3-torch as the oracle; skipped where missing, a
 * failure when CI=true). 64 px keeps it short on two cores; the graphs are the 224 px graphs.
 */
class DenseAndSqueezeExportTest {
    @TempDir
    Path dir;

    /**
     * The case that changed the proof's rule (docs/export-proof.md): densenet121 at 224 px with the latency run's
     * trained-like weights (seed 0, calibrated at 224 px on 8 images, 10 classes, as {@code ArchCheckpoints} makes
     * them). Its export is closer to the float64 forward than its own float32 forward at every logit, yet on the
     * proof's two images its probabilities land 6.5 times the own probability error away, which the previous rule
     * (probabilities, 4 x the own error, floor 1e-5) refused. Judged at the centred logits, it passes.
     */
    @Test
    void densenet121At224PassesTheProofOnTheLatencyRunsWeights() {
        Network net = VisionModel.builder().setArch("densenet121").setClasses(10).build();
        Map<String, Tensor> weights = TrainedLikeWeights.of(net, 0, 8, 224);
        ModelProto model = OnnxExporter.exportFp32(ExportOptions.builder().setNetwork(net).setWeights(weights)
                .optInputSize(224, 224).build());
        try (InferenceModel f32 = InferenceModel.load(net, weights, 224, 224);
             InferenceModel f64 = InferenceModel.loadFloat64(net, weights, 224, 224)) {
            ExportProof.Result proof = ExportProof.verify(model, TrainedReference.of(f32::forward, f64::forwardFloat64),
                    ExportProof.DEFAULT_SEED, ExportProof.DEFAULT_BATCH, 224, 224, OptionalDouble.empty());
            System.out.printf(Locale.ROOT, "densenet121 at 224 px: centred logits %.3g (own %.3g, tolerance %.3g),"
                    + " probabilities %.3g (own %.3g, tolerance %.3g)%n", proof.logitDiff(), proof.float32LogitError(),
                    proof.logitTolerance(), proof.maxAbsDiff(), proof.float32Error(), proof.tolerance());
            assertThat(proof.passed()).as(proof.explanation()).isTrue();
            assertThat(proof.logitDiff()).as("closer to float64 than the model's own float32 forward")
                    .isLessThan(proof.float32LogitError());
        }
    }

    @ParameterizedTest(name = "{0} at {1} px, torch oracle {2}")
    @CsvSource({
        "densenet121, 64, true",
        "squeezenet1_1, 64, true",
        "squeezenet1_0, 64, false",
    })
    void exportPassesTheProofAndMatchesPyTorch(String arch, int size, boolean oracle) throws Exception {
        TorchvisionExportCheck.run(arch, size, oracle, 1, dir, ops -> {
            assertThat(ops).containsKey("Concat").doesNotContainKeys("BatchNormalization", "Dropout", "Identity");
            if (arch.startsWith("densenet")) {
                assertThat(ops).containsKey("AveragePool");
                // norm1 reads a concatenation and norm5 a dense block's output: no convolution precedes them, so
                // they become an element-wise scale and shift
                assertThat(ops).containsKey("Mul");
            }
        });
    }
}
