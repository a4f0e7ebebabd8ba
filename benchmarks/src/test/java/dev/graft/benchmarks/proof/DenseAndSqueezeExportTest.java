package dev.graft.benchmarks.proof;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.ExportProof;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.TrainedReference;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.testing.Fixtures;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.InferenceModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
    private static final Path PYTHON = Path.of("/usr/bin/python3");

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
        Network net = VisionModel.builder().setArch(arch).setClasses(3).build();
        // calibrated at 64 px: at 32 px a ResNet's layer4 is 1 x 1 and statistics measured there saturate the softmax
        Map<String, Tensor> weights = TrainedLikeWeights.of(net, 5, 8, Math.max(size, TrainedLikeWeights.CALIBRATION_SIZE));
        ModelProto model = OnnxExporter.export(ExportOptions.builder().setNetwork(net).setWeights(weights)
                .optInputSize(size, size).optWithLogits(true).build());
        Map<String, Integer> ops = OnnxExporter.opHistogram(model);
        assertThat(ops).containsKey("Concat").doesNotContainKeys("BatchNormalization", "Dropout", "Identity");
        if (arch.startsWith("densenet")) {
            assertThat(ops).containsKey("AveragePool");
            // norm1 reads a concatenation and norm5 a dense block's output: no convolution precedes them, so they
            // become an element-wise scale and shift
            assertThat(ops).containsKey("Mul");
        }
        try (InferenceModel f32 = InferenceModel.load(net, weights, size, size);
             InferenceModel f64 = InferenceModel.loadFloat64(net, weights, size, size)) {
            ExportProof.Result proof = ExportProof.verify(model, TrainedReference.of(f32::forward, f64::forwardFloat64),
                    ExportProof.DEFAULT_SEED, 2, size, size, OptionalDouble.empty());
            System.out.printf(Locale.ROOT, "%s at %d px: proof: centred logits %.3g within %.3g (%s), probabilities"
                    + " %.3g within %.3g%n", arch, size, proof.logitDiff(), proof.logitTolerance(),
                    proof.logitToleranceReason(), proof.maxAbsDiff(), proof.tolerance());
            assertThat(proof.passed()).as(proof.explanation()).isTrue();
        }
        if (!oracle) {
            return;
        }
        Fixtures.requireTool(torchAvailable(), "python3-torch / python3-torchvision not installed");
        int n = 2;
        float[] x = new float[n * 3 * size * size];
        Random r = new Random(11);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] ort;
        try (OrtRunner runner = OrtRunner.open(model, OptLevel.ALL_OPT)) {
            ort = runner.runAll(GraftMetadata.INPUT_NAME, x, new long[] {n, 3, size, size})
                    .get(GraftMetadata.LOGITS_NAME).data();
        }
        Path w = dir.resolve("w.safetensors");
        Path in = dir.resolve("x.safetensors");
        SafeTensors.write(w, weights, Map.of());
        SafeTensors.write(in, Map.of("x", Tensor.ofFloats(new long[] {n, 3, size, size}, x),
                "ort", Tensor.ofFloats(new long[] {n, 3}, ort)), Map.of());
        String script = TorchScripts.SAFETENSORS + String.join("\n",
                "import torch, torchvision",
                "from torch import nn",
                "class ConcatPool(nn.Module):",
                "    def forward(self, x):",
                "        return torch.cat([nn.functional.adaptive_max_pool2d(x, 1), nn.functional.adaptive_avg_pool2d(x, 1)], 1)",
                "w = read('" + w + "')",
                "m = getattr(torchvision.models, '" + arch + "')()",
                "missing, unexpected = m.load_state_dict({k: v for k, v in w.items() if not k.startswith('head.')}, strict=False)",
                "assert not unexpected, unexpected",
                "assert all(k.split('.')[0] in ('fc', 'classifier') for k in missing), missing",
                "body = nn.Sequential(*list(m.children())[:-1])",
                "head = nn.Sequential(" + headModules(net) + ")",
                "head.load_state_dict({k[5:]: v for k, v in w.items() if k.startswith('head.')}, strict=True)",
                "model = nn.Sequential(body, head).eval()",
                "t = read('" + in + "')",
                "with torch.no_grad():",
                "    f32 = model(t['x']).double()",
                "    f64 = model.double()(t['x'].double())",
                "ort = t['ort'].double()",
                "print('DIFFS', (ort - f64).abs().max().item(), (f32 - f64).abs().max().item(), f64.abs().max().item())",
                "");
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", script).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        String[] diffs = log.lines().filter(l -> l.startsWith("DIFFS ")).findFirst().orElseThrow().split(" ");
        double ours = Double.parseDouble(diffs[1]);
        double torchOwn = Double.parseDouble(diffs[2]);
        double largest = Double.parseDouble(diffs[3]);
        System.out.printf(Locale.ROOT, "%s at %d px: |ONNX - torch float64| %.3g, |torch float32 - float64| %.3g, "
                + "logits up to %.3g%n", arch, size, ours, torchOwn, largest);
        assertThat(largest).as("trained-like logits are a few units, not saturated").isBetween(0.5, 100.0);
        assertThat(ours).isLessThanOrEqualTo(torchOwn);
    }

    /** The network's head as PyTorch modules, in order (Graft's head ids are head.0, head.1, ...). */
    private static String headModules(Network net) {
        List<String> mods = new ArrayList<>();
        for (Node n : net.headNodes()) {
            Layer l = n.layer();
            if (l instanceof Layer.ConcatPool) {
                mods.add("ConcatPool()");
            } else if (l instanceof Layer.Flatten) {
                mods.add("nn.Flatten()");
            } else if (l instanceof Layer.BatchNorm b) {
                mods.add(String.format(Locale.ROOT, "nn.BatchNorm1d(%d, eps=%s, momentum=%s)", b.features(), b.eps(),
                        b.momentum()));
            } else if (l instanceof Layer.Dropout d) {
                mods.add("nn.Dropout(" + d.p() + ")");
            } else if (l instanceof Layer.Linear lin) {
                mods.add("nn.Linear(" + lin.in() + ", " + lin.out() + ", bias=" + (lin.bias() ? "True" : "False") + ")");
            } else if (l instanceof Layer.Relu) {
                mods.add("nn.ReLU()");
            } else {
                throw new AssertionError("no PyTorch module written for " + l.kind());
            }
        }
        return String.join(", ", mods);
    }

    private static boolean torchAvailable() throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, torchvision").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
