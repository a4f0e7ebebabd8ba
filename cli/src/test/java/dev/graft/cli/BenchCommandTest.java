package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft bench} and {@code graft bench merge} as a user runs them: a checkpoint exported with {@code graft
 * export}, benchmarked twice under two labels, and the two results merged into one report; its fp32 and int8 exports
 * benchmarked side by side in one run.
 */
class BenchCommandTest {
    @TempDir
    static Path shared;

    static Path checkpoint;
    static Path onnx;

    @BeforeAll
    static void exportAModel() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(2).build();
        checkpoint = shared.resolve("checkpoint");
        new Checkpoint(net, Initializer.init(net, 3), Task.SINGLE_LABEL, List.of("cat", "dog"),
            Preprocessing.imagenet(64, 64), 0.5, 0, null).write(checkpoint);
        onnx = shared.resolve("pets.onnx");
        var r = SummaryCommandTest.graft("export", "--checkpoint", checkpoint.toString(), "--out", onnx.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void twoRunsMergeIntoOneReport(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.json");
        var ra = SummaryCommandTest.graft("bench", onnx.toString(), "--threads", "1", "--batch", "1,2", "--warmup", "2",
            "--runs", "5", "--label", "machine-a", "--out", a.toString());
        assertThat(ra.code()).as(ra.err()).isZero();
        assertThat(ra.out()).contains("| ort cpu t1 b1 | pets |", "| ort cpu t1 b2 | pets |", "wrote " + a);
        assertThat(ra.err()).as("progress bars").contains("[1/2] ort cpu t1 b1", "[2/2] ort cpu t1 b2");

        var rb = SummaryCommandTest.graft("bench", onnx.toString(), "--checkpoint", checkpoint.toString(), "--threads",
            "1", "--device", "cpu,cuda", "--warmup", "1", "--runs", "5", "--label", "machine-b", "--out", b.toString(),
            "--no-progress");
        assertThat(rb.code()).as(rb.err()).isZero();
        assertThat(rb.out()).contains("| ort cpu t1 b1 |", "| djl cpu t1 b1 |", "skipped: ");
        assertThat(rb.err()).doesNotContain("[1/4]");

        Path report = dir.resolve("all.html");
        Path merged = dir.resolve("all.json");
        var rm = SummaryCommandTest.graft("bench", "merge", a.toString(), b.toString(), "--report", report.toString(),
            "--out", merged.toString(), "--baseline", "run=machine-b,engine=djl");
        assertThat(rm.code()).as(rm.err()).isZero();
        assertThat(rm.out()).contains("machine-a · ort cpu t1 b1", "machine-b · djl cpu t1 b1", "wrote " + report,
            "wrote " + dir.resolve("all.csv"), "wrote " + dir.resolve("all.md"));

        JsonNode json = new ObjectMapper().readTree(Files.readString(merged));
        assertThat(json.get("runs")).hasSize(2);
        assertThat(json.at("/runs/0/label").asText()).isEqualTo("machine-a");
        assertThat(json.at("/runs/1/results")).hasSize(4);
        String html = Files.readString(report);
        assertThat(html).contains("machine-a", "machine-b", "id=\"chart-latency\"", "id=\"chart-throughput\"",
            "id=\"chart-speedup\"", "Baseline: <b>run=machine-b, engine=djl</b>");
        assertThat(Files.readAllLines(dir.resolve("all.csv"))).hasSize(1 + 2 + 4);
        assertThat(Files.readString(dir.resolve("all.md"))).contains("| machine-b · djl cpu t1 b1 | pets |");

        // the same file twice: labels are made unique
        var twice = SummaryCommandTest.graft("bench", "merge", a.toString(), a.toString(), "--out",
            dir.resolve("twice.json").toString());
        assertThat(twice.code()).as(twice.err()).isZero();
        assertThat(twice.out()).contains("machine-a#2 · ort cpu t1 b1");
    }

    @Test
    void fp32AndInt8ModelsInOneRun(@TempDir Path dir) throws Exception {
        Path images = dir.resolve("images");
        SyntheticDataset.generate(images, 2, 64, 5, false, 7); // 4 training images per class
        Path int8 = dir.resolve("pets-int8.onnx");
        var q = SummaryCommandTest.graft("export", "--checkpoint", checkpoint.toString(), "--quantize", "int8",
            "--calibration", images.resolve("train").toString(), "--calibration-count", "8", "--out", int8.toString());
        assertThat(q.code()).as(q.err()).isZero();

        Path results = dir.resolve("two.json");
        Path report = dir.resolve("two.html");
        var r = SummaryCommandTest.graft("bench", onnx.toString(), int8.toString(), "--checkpoint", checkpoint.toString(),
            "--threads", "1", "--warmup", "1", "--runs", "4", "--label", "vm", "--baseline", "precision=fp32", "--out",
            results.toString(), "--report", report.toString(), "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("| Configuration | Model | Precision |", "| pets · ort fp32 cpu t1 b1 | pets | fp32 |",
            "| pets-int8 · ort int8 cpu t1 b1 | pets-int8 | int8 |", "| pets · djl fp32 cpu t1 b1 | pets | fp32 |",
            "Speed-up: P50 of the baseline (precision=fp32)", "Models: pets: fp32, ", "pets-int8: int8, ");
        String int8Row = r.out().lines().filter(l -> l.startsWith("| pets-int8 · ")).findFirst().orElseThrow();
        assertThat(int8Row).matches(".*\\| [0-9.]+× \\|$");
        assertThat(r.out().lines().filter(l -> l.startsWith("| pets · "))).hasSize(2)
            .allSatisfy(l -> assertThat(l).endsWith("| baseline |"));

        JsonNode json = new ObjectMapper().readTree(Files.readString(results));
        assertThat(json.get("runs")).hasSize(2);
        assertThat(json.at("/runs/0/model/name").asText()).isEqualTo("pets");
        assertThat(json.at("/runs/0/model/precision").asText()).isEqualTo("fp32");
        assertThat(json.at("/runs/0/results")).hasSize(2);
        assertThat(json.at("/runs/1/model/precision").asText()).isEqualTo("int8");
        assertThat(json.at("/runs/1/model/bytes").asLong()).isEqualTo(Files.size(int8));
        assertThat(json.at("/runs/1/results")).hasSize(1);
        assertThat(json.at("/runs/1/results/0/precision").asText()).isEqualTo("int8");
        assertThat(Files.readAllLines(dir.resolve("two.csv")).get(0)).startsWith("run,model,precision,model_bytes,");
        assertThat(Files.readString(report)).contains("<th>Precision</th>", "<th>vm · pets-int8</th>");

        // merging the file keeps both runs under their label (they are different models)
        var m = SummaryCommandTest.graft("bench", "merge", results.toString(), "--out", dir.resolve("m.json").toString(),
            "--baseline", "fp32");
        assertThat(m.code()).as(m.err()).isZero();
        assertThat(m.out()).contains("| pets-int8 · ort int8 cpu t1 b1 |").doesNotContain("#2");
    }

    @Test
    void twoNetworksAgainstOneOfThemByArch(@TempDir Path dir) throws Exception {
        Network net = VisionModel.builder().setArch("squeezenet1_1").setClasses(2).build();
        Path other = dir.resolve("squeeze");
        new Checkpoint(net, Initializer.init(net, 4), Task.SINGLE_LABEL, List.of("cat", "dog"),
            Preprocessing.imagenet(64, 64), 0.5, 0, null).write(other);
        Path squeeze = dir.resolve("squeeze.onnx");
        var e = SummaryCommandTest.graft("export", "--checkpoint", other.toString(), "--out", squeeze.toString());
        assertThat(e.code()).as(e.err()).isZero();

        Path report = dir.resolve("archs.html");
        var r = SummaryCommandTest.graft("bench", onnx.toString(), squeeze.toString(), "--threads", "1", "--warmup",
            "1", "--runs", "4", "--label", "vm", "--baseline", "arch=resnet18", "--report", report.toString(),
            "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Speed-up: P50 of the baseline (arch=resnet18) / P50, same batch and mode, each"
            + " network against the baseline's.");
        assertThat(r.out().lines().filter(l -> l.startsWith("| pets · "))).singleElement()
            .satisfies(l -> assertThat(l).endsWith("| baseline |"));
        assertThat(r.out().lines().filter(l -> l.startsWith("| squeeze · "))).singleElement()
            .satisfies(l -> assertThat(l).matches(".*\\| [0-9.]+× \\|$"));
        assertThat(Files.readString(report)).contains("Baseline: <b>arch=resnet18</b>", "id=\"chart-speedup\"");

        var empty = SummaryCommandTest.graft("bench", onnx.toString(), "--baseline", "arch=");
        assertThat(empty.code()).isEqualTo(1);
        assertThat(empty.err().strip()).isEqualTo("graft: --baseline arch= needs a value, e.g. arch=resnet50");
    }

    @Test
    void badInputIsOneLineAndNonZero(@TempDir Path dir) throws Exception {
        var none = SummaryCommandTest.graft("bench");
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).startsWith("graft: graft bench needs a model");

        var missing = SummaryCommandTest.graft("bench", dir.resolve("missing.onnx").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err().strip()).startsWith("graft: model ").endsWith("does not exist").doesNotContain("\n");

        Path junk = dir.resolve("junk.onnx");
        Files.writeString(junk, "not onnx");
        var notModel = SummaryCommandTest.graft("bench", junk.toString(), "--no-progress");
        assertThat(notModel.code()).isEqualTo(1);
        assertThat(notModel.err().strip()).contains("is not a model ONNX Runtime can load").doesNotContain("\n\tat ");

        var both = SummaryCommandTest.graft("bench", onnx.toString(), "--runs", "5", "--min-seconds", "1");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");

        var djl = SummaryCommandTest.graft("bench", onnx.toString(), "--engine", "djl");
        assertThat(djl.code()).isEqualTo(1);
        assertThat(djl.err()).contains("give --checkpoint DIR");

        var twice = SummaryCommandTest.graft("bench", onnx.toString(), onnx.toString());
        assertThat(twice.code()).isEqualTo(1);
        assertThat(twice.err().strip()).startsWith("graft: model ").endsWith("is given twice");

        var base = SummaryCommandTest.graft("bench", onnx.toString(), "--baseline", "colour=red");
        assertThat(base.code()).isEqualTo(1);
        assertThat(base.err()).contains("--baseline keys are");

        var noOutput = SummaryCommandTest.graft("bench", "merge", junk.toString());
        assertThat(noOutput.code()).isEqualTo(1);
        assertThat(noOutput.err()).contains("--report FILE.html and/or --out FILE.json");

        var notResults = SummaryCommandTest.graft("bench", "merge", junk.toString(), "--report",
            dir.resolve("r.html").toString());
        assertThat(notResults.code()).isEqualTo(1);
        assertThat(notResults.err().strip()).contains("is not JSON").doesNotContain("\n");
        assertThat(dir.resolve("r.html")).doesNotExist();
    }
}
