package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every head option of the foundation through {@code graft export}, each proven against the DJL model (the proof
 * runs inside the command and fails the export beyond its derived tolerances, docs/export-proof.md), with random
 * weights and non-trivial BatchNorm statistics.
 */
class ExportParityTest {

    /** Random weights whose BatchNorm layers actually do something (Initializer gives 1 / 0 / 0 / 1). */
    static Map<String, Tensor> perturbed(Network net, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        Initializer.init(net, seed).forEach((name, t) -> {
            float[] v = t.toFloatArray();
            if (name.endsWith("running_var") || (name.endsWith(".weight") && t.shape().length == 1)) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.5 + rnd.nextDouble());
                }
            } else if (name.endsWith("running_mean") || (name.endsWith(".bias") && t.shape().length == 1)) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (rnd.nextDouble() - 0.5) * 0.4f;
                }
            }
            out.put(name, Tensor.ofFloats(t.shape(), v));
        });
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "--lin-ftrs 512,256",
        "--no-lin-ftrs",
        "--ps 0",
        "--ps 0.1,0.3",
        "--no-concat-pool",
        "--first-bn false",
        "--bn-final",
        "--lin-first",
        "--y-range 0,5 --regression",
        "--n-in 4",
    })
    void everyHeadOptionExportsAndPassesTheProof(String options, @TempDir Path dir) {
        List<String> opts = options.isEmpty() ? List.of() : Arrays.asList(options.split(" "));
        List<String> netArgs = new ArrayList<>(List.of("--arch", "resnet18", "--classes", "3"));
        opts.stream().filter(o -> !o.equals("--regression")).forEach(netArgs::add);
        // the network the command will build, built the same way, for the weights file
        NetworkOptions parsed = new NetworkOptions();
        new picocli.CommandLine(parsed).parseArgs(netArgs.toArray(String[]::new));
        Network net = parsed.build();
        Path weights = dir.resolve("w.safetensors");
        SafeTensors.write(weights, perturbed(net, 11), Map.of());
        List<String> args = new ArrayList<>(List.of("export", "--weights", weights.toString(), "--size", "64",
            "--out", dir.resolve("m.onnx").toString()));
        args.addAll(netArgs);
        if (opts.contains("--regression")) {
            args.add("--regression");
        }
        if (opts.contains("--n-in")) {
            args.addAll(List.of("--channels", "RGBA", "--mean", "0.485,0.456,0.406,0.5", "--std", "0.229,0.224,0.225,0.25"));
        }
        var r = SummaryCommandTest.graft(args.toArray(String[]::new));
        assertThat(r.code()).as(options + ": " + r.err()).isZero();
        assertThat(r.out()).contains("parity: largest |difference|");
        assertThat(dir.resolve("m.onnx")).isNotEmptyFile();
    }

    @Test
    void theProofPrintsItsLogitFiguresAndAGivenToleranceItDoesNotMeetRefusesInOneLine(@TempDir Path dir)
            throws Exception {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        new Checkpoint(net, perturbed(net, 5), Task.SINGLE_LABEL, List.of("a", "b", "c"), Preprocessing.imagenet(48,
            48), 0.5, 1, null).write(dir.resolve("run"));
        Path out = dir.resolve("m.onnx");
        var ok = SummaryCommandTest.graft("export", "--checkpoint", dir.resolve("run").toString(), "--out",
            out.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).containsPattern("(?m)^parity: largest \\|difference\\| from the trained DJL model \\S+ \\(its"
                + " float64 forward; its own float32 forward is \\S+ from that\\); logits, centred per image: \\S+ \\(own"
                + " float32 \\S+\\)$")
            .containsPattern("(?m)^proof: .*; logits, centred per image, within \\S+ \\(.*\\); probabilities within \\S+"
                + " \\(what the logit tolerance can move them, plus 1e-05\\); top class checked on");
        byte[] before = Files.readAllBytes(out);

        var refused = SummaryCommandTest.graft("export", "--checkpoint", dir.resolve("run").toString(), "--out",
            out.toString(), "--tolerance", "0");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err().strip()).startsWith("graft: the export does not match the trained model: largest"
                + " difference").contains("exceeds the tolerance 0.00 (given; the model's own float32 forward is")
            .endsWith("nothing was written to " + out).doesNotContain("\n").doesNotContain("Exception");
        assertThat(Files.readAllBytes(out)).as("the earlier export is untouched").isEqualTo(before);
        try (var files = Files.list(dir)) {
            assertThat(files).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrder("run", "m.onnx");
        }
    }

    @Test
    void aCheckpointExportsWithItsLabelsAndPreprocessing(@TempDir Path dir) throws Exception {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(2)
            .optHead(HeadOptions.builder().optLinFtrs(List.of(64)).build()).build();
        new Checkpoint(net, perturbed(net, 3), Task.MULTI_LABEL, List.of("cat", "dog"), Preprocessing.imagenet(48, 48),
            0.4, 1, null).write(dir.resolve("run"));
        Path out = dir.resolve("m.onnx");
        var r = SummaryCommandTest.graft("export", "--checkpoint", dir.resolve("run").toString(), "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("48x48", "sigmoid");
        // a sigmoid is not shift-invariant: its logits are compared as they are, not centred
        assertThat(r.out()).contains("; logits: ", "; logits within ", "probabilities within ")
            .doesNotContain("centred");
        try (var ort = dev.graft.exporter.onnx.OrtRunner.open(Files.readAllBytes(out),
                ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT)) {
            Map<String, String> meta = ort.customMetadata();
            assertThat(meta).containsEntry("graft.labels", "cat\ndog").containsEntry("graft.task", "multi_label")
                .containsEntry("graft.threshold", "0.4").containsEntry("graft.input.size", "48,48")
                .containsEntry("graft.source", Checkpoint.weightsHash(dir.resolve("run")));
        }
        // a checkpoint whose weights lack a tensor is refused, and nothing is written
        Files.delete(out);
        Map<String, Tensor> partial = new LinkedHashMap<>(perturbed(net, 3));
        partial.remove("head.4.weight");
        SafeTensors.write(dev.graft.models.checkpoint.RunFolder.weightsFile(dir.resolve("run")), partial, Map.of());
        var bad = SummaryCommandTest.graft("export", "--checkpoint", dir.resolve("run").toString(), "--out", out.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).startsWith("graft: ");
        assertThat(out).doesNotExist();
    }
}
