package dev.graft.benchmarks.latency;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.benchmarks.result.BenchConfig;
import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.benchmarks.result.ModelRecord;
import dev.graft.benchmarks.result.RunSettings;
import dev.graft.benchmarks.stats.LatencyStats;
import dev.graft.benchmarks.system.MachineInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The architecture table from runs with known latencies and export logs as graft export writes them. */
class ArchLatencyTableTest {
    @TempDir
    Path logs;

    static ConfigResult ok(String precision, double... latencies) {
        LatencyStats s = LatencyStats.ofMillis(latencies);
        double seconds = Arrays.stream(latencies).sum() / 1000;
        return new ConfigResult("ort", "cpu", 2, 1, BenchConfig.MODEL, precision, ConfigResult.OK, null, "cpu", 100.0,
            s.max() * 2, latencies.length, seconds, s, latencies.length / seconds, latencies.length / seconds,
            s.p90(), 300L << 20, 50.0, 1.0, 0.25, 0.5, Arrays.stream(latencies).boxed().toList());
    }

    static BenchRun run(String name, String arch, String precision, ConfigResult result) {
        ModelRecord m = new ModelRecord(name, name + ".onnx", 1000, Integer.toHexString(name.hashCode()).repeat(8),
            arch, precision, List.of(3, 224, 224), 10, null, null);
        MachineInfo machine = new MachineInfo("host", "Test CPU", 2, 8L << 30, "Linux", "JVM 17", "1.22.0", "0.35.1",
            "2.7.1", List.of());
        return new BenchRun("arch-latency", "2026-01-01T00:00:00Z", "test", machine, m,
            new RunSettings(5, null, 5.0, null, null, null, true, 0, true, Map.of()), List.of(), List.of(result));
    }

    /** An export log as graft export writes it; the figures are the centred logits' ones, what the proof judges. */
    static void exportLogs(Path dir, String arch, String diff, String own, String tolerance, String kernels)
            throws Exception {
        Files.writeString(dir.resolve(arch + ".export.log"), "graph: 69 nodes (Conv 25)\n"
            + "parity: largest |difference| from the trained DJL model 1.00e-06 (its float64 forward; its own float32"
            + " forward is 2.00e-06 from that); logits, centred per image: " + diff + " (own float32 " + own + ")\n"
            + "proof: ONNX Runtime's outputs vs the trained model's float64 forward on 2 seeded N(0,1) image(s) at"
            + " 224x224 (seed 0); logits, centred per image, within " + tolerance + " (8 x the model's own"
            + " float32-vs-float64 difference " + own + "); probabilities within 3.00e-05 (what the logit tolerance can"
            + " move them, plus 1e-05); top class checked on 2 of 2 image(s), the rest near-ties\nwrote x.onnx (5.0 MB,"
            + " fp32, opset 17, softmax) in 4.3 s\n");
        if (kernels != null) {
            Files.writeString(dir.resolve(arch + "-int8.export.log"), "int8 graph: 10 nodes\n" + kernels + "\nsize: x\n");
        }
    }

    @Test
    void ratiosAreToResnet50InTheSamePrecisionAndProofFiguresComeFromTheLogs() throws Exception {
        exportLogs(logs, "resnet50", "2.00e-05", "0.000136", "0.000542",
            "integer kernels: ONNX Runtime runs 53 of 53 convolutions as integer kernels (QLinearConv 53, QLinearAdd 16)");
        exportLogs(logs, "resnet18", "6.54e-06", "3.40e-06", "1.36e-05",
            "integer kernels: ONNX Runtime runs 19 of 20 convolutions as integer kernels (QLinearConv 19)");
        Files.writeString(logs.resolve("vgg11_bn.export.log"), "graft: the export does not match the trained model\n");
        // as graft export refuses an export, progress bars on the same stream included
        Files.writeString(logs.resolve("densenet121.export.log"), "calibrating 100% │██│ 8/8\rgraft: the export does"
            + " not match the trained model: its logits, centred per image, differ by up to 0.000140 from its float64"
            + " forward, more than the tolerance 1.00e-05 (the floor 1e-05, above 8 x the model's own float32-vs-float64"
            + " difference 1.02e-06; seed 0, batch 2, 224x224); nothing was written to /tmp/m/densenet121.onnx\n");
        // exported with --tolerance: the proof judged probabilities, and the table says so
        Files.writeString(logs.resolve("alexnet.export.log"), "graph: 20 nodes\nparity: largest |difference| from the"
            + " trained DJL model 3.97e-06 (its float64 forward; its own float32 forward is 3.68e-06 from that); logits,"
            + " centred per image: 2.59e-05 (own float32 2.14e-05)\nproof: ONNX Runtime's outputs vs the trained model's"
            + " float64 forward on 2 seeded N(0,1) image(s) at 224x224 (seed 0); probabilities within 2.00e-05 (given;"
            + " logits not judged); top class checked on 2 of 2 image(s), the rest near-ties\n");
        // refused on its probabilities (a wrong activation): no logit figures to show
        Files.writeString(logs.resolve("resnet34.export.log"), "graft: the export does not match the trained model:"
            + " largest difference 0.970 from its float64 forward exceeds the tolerance 1.00e-04 (what the logit"
            + " tolerance can move them, plus 1e-05; seed 0, batch 2, 224x224); nothing was written to /tmp/m.onnx\n");
        List<BenchRun> runs = List.of(
            run("resnet50", "resnet50", "fp32", ok("fp32", 60, 60, 60)),
            run("resnet50-int8", "resnet50", "int8", ok("int8", 20, 20, 20)),
            run("resnet18", "resnet18", "fp32", ok("fp32", 30, 30, 30)),
            run("resnet18-int8", "resnet18", "int8", ok("int8", 12, 12, 12)),
            run("densenet121-int8", "densenet121", "int8", ok("int8", 9, 9)),
            run("resnet34", "resnet34", "fp32", ok("fp32", 40, 40, 40)),
            run("alexnet", "alexnet", "fp32", ok("fp32", 6, 6, 6)),
            run("vgg11_bn-int8", "vgg11_bn", "int8", ConfigResult.failed(new BenchConfig("ort", "cpu", 2, 1,
                BenchConfig.MODEL), "out of memory")));
        String md = ArchLatencyTable.render(runs, logs);
        assertThat(md).startsWith("Batch-1 latency at 224 px, ort, 2 thread(s), warm-up 5, at least 5 s each; run"
            + " arch-latency (2026-01-01T00:00:00Z); Test CPU, 2 logical cores, ONNX Runtime 1.22.0; one-minute load"
            + " average before each configuration 0.25 to 0.25.");
        assertThat(md).contains(
            "| resnet50 | 60.0 | 20.0 | 3.00x | 1.00x | 1.00x | 2.0e-05 / 5.4e-04 (1.4e-04) | 53 of 53 (QLinearConv 53,"
                + " QLinearAdd 16) | 60.0 / 20.0 ms (1.00x / 1.00x) |",
            "| resnet18 | 30.0 | 12.0 | 2.50x | 0.500x | 0.600x | 6.5e-06 / 1.4e-05 (3.4e-06) | 19 of 20 (QLinearConv 19) |"
                + " 30.0 / 12.0 ms (0.500x / 0.600x) |",
            "| vgg11_bn | – | – | – | – | – | – | – | – / – ms (– / –) |",
            "| densenet121 | – | 9.00 | – | – | 0.450x | **refused** 1.4e-04 / 1.0e-05 (1.0e-06) | – |",
            "| alexnet | 6.00 | – | – | 0.100x | – | 4.0e-06 / 2.0e-05 (3.7e-06) | – |",
            "Note: alexnet: exported with an explicit --tolerance (alexnet.export.log): its proof figures are"
                + " probabilities, not logits",
            "Note: densenet121: the export proof refused the export (densenet121.export.log)",
            "| resnet34 | 40.0 | – | – | 0.667x | – | – | – |",
            "Note: resnet34: the export proof refused the export (resnet34.export.log): largest difference 0.970 from"
                + " its float64 forward exceeds the tolerance 1.00e-04 (what the logit tolerance can move them, plus"
                + " 1e-05; seed 0, batch 2, 224x224)",
            "Note: vgg11_bn: no model vgg11_bn in the results",
            "Note: vgg11_bn: vgg11_bn-int8 failed: out of memory",
            "vgg11_bn.export.log has no proof figures (did the export fail?)",
            "Note: vgg11_bn: no export log " + logs.resolve("vgg11_bn-int8.export.log"));
        assertThat(md.lines().filter(l -> l.startsWith("| "))).as("a header and six rows").hasSize(1 + 6);

        // without resnet50 there is nothing to take ratios to, and the table says so
        String alone = ArchLatencyTable.render(runs.subList(2, 4), logs);
        assertThat(alone).contains("| resnet18 | 30.0 | 12.0 | 2.50x | – | – |",
            "Note: no resnet50 model among the results: no ratios.");
    }
}
