package dev.graft.benchmarks.proof;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.ExportProof;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.TrainedReference;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.testing.Fixtures;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.InferenceModel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.function.Consumer;

/**
 * One torchvision backbone with fastai's head (3 classes) and trained-like weights, exported at a small size: the
 * graph passes the export proof against Graft's own float32/float64 forwards and, with the oracle, its logits are at
 * least as close to PyTorch's float64 forward of the torchvision module (its last {@code dropped} children removed, as
 * fastai cuts it) as PyTorch's own float32 forward is (Debian's python3-torch; skipped where missing, a failure when
 * CI=true). The families' export tests run it with their own checks of the graph.
 */
final class TorchvisionExportCheck {
    private TorchvisionExportCheck() {
    }

    static void run(String arch, int size, boolean oracle, int dropped, Path dir, Consumer<Map<String, Integer>> graph)
            throws Exception {
        Network net = VisionModel.builder().setArch(arch).setClasses(3).build();
        // calibrated at 64 px: at 32 px a ResNet's layer4 is 1 x 1 and statistics measured there saturate the softmax
        Map<String, Tensor> weights = TrainedLikeWeights.of(net, 5, 8, Math.max(size, TrainedLikeWeights.CALIBRATION_SIZE));
        ModelProto model = OnnxExporter.export(ExportOptions.builder().setNetwork(net).setWeights(weights)
                .optInputSize(size, size).optWithLogits(true).build());
        graph.accept(OnnxExporter.opHistogram(model));
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
        Fixtures.requireTool(TorchScripts.torchAvailable(), "python3-torch / python3-torchvision not installed");
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
                "body = nn.Sequential(*list(m.children())[:-" + dropped + "])",
                "head = nn.Sequential(" + TorchScripts.headModules(net) + ")",
                "head.load_state_dict({k[5:]: v for k, v in w.items() if k.startswith('head.')}, strict=True)",
                "model = nn.Sequential(body, head).eval()",
                "t = read('" + in + "')",
                "with torch.no_grad():",
                "    f32 = model(t['x']).double()",
                "    f64 = model.double()(t['x'].double())",
                "ort = t['ort'].double()",
                "print('DIFFS', (ort - f64).abs().max().item(), (f32 - f64).abs().max().item(), f64.abs().max().item())",
                "");
        String log = TorchScripts.run(script);
        String[] diffs = log.lines().filter(l -> l.startsWith("DIFFS ")).findFirst().orElseThrow().split(" ");
        double ours = Double.parseDouble(diffs[1]);
        double torchOwn = Double.parseDouble(diffs[2]);
        double largest = Double.parseDouble(diffs[3]);
        System.out.printf(Locale.ROOT, "%s at %d px: |ONNX - torch float64| %.3g, |torch float32 - float64| %.3g, "
                + "logits up to %.3g%n", arch, size, ours, torchOwn, largest);
        assertThat(largest).as("trained-like logits are a few units, not saturated").isBetween(0.5, 100.0);
        assertThat(ours).isLessThanOrEqualTo(torchOwn);
    }
}
