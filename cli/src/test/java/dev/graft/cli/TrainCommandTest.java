package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.SafeTensors;
import dev.graft.trainer.data.SyntheticDataset;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft train} and {@code graft lr-find} on small synthetic data with the real DJL engine. */
class TrainCommandTest {
    @TempDir
    static Path shared;

    static Path shapes;

    @BeforeAll
    static void data() {
        shapes = shared.resolve("shapes");
        SyntheticDataset.generate(shapes, 3, 32, 20, false, 3);
    }

    @Test
    void trainsOneEpochAndWritesACheckpoint(@TempDir Path dir) {
        Path run = dir.resolve("run");
        var r = SummaryCommandTest.graft("train", "--data", shapes.toString(), "--arch", "resnet18", "--size", "32",
            "--batch", "8", "--epochs", "1", "--workers", "2", "--out", run.toString(), "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("data: 48 training and 12 validation images, single_label",
            "body from random initialisation", "device: cpu()", "fit_one_cycle(1, lr_max=1e-3)",
            "epoch   train_loss  valid_loss  accuracy", "checkpoint: " + run, "validation accuracy: ");
        Checkpoint c = Checkpoint.read(run);
        assertThat(c.epochsDone()).isEqualTo(1);
        assertThat(c.task()).isEqualTo(Task.SINGLE_LABEL);
        assertThat(c.labels()).containsExactly("circle", "square", "triangle");
        assertThat(c.info().at("/run/schedule").asText()).isEqualTo("fit_one_cycle");

        var again = SummaryCommandTest.graft("train", "--data", shapes.toString(), "--arch", "resnet18", "--size", "32",
            "--epochs", "1", "--out", run.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("already holds a checkpoint; pass --resume");
    }

    @Test
    void fineTuneWithAPretrainedBody(@TempDir Path dir) throws Exception {
        Path body = dir.resolve("body.safetensors");
        SafeTensors.write(body, Initializer.init(VisionModel.torchvision("resnet18", 1000), 5), java.util.Map.of());
        Path run = dir.resolve("run");
        var r = SummaryCommandTest.graft("train", "--data", shapes.toString(), "--arch", "resnet18", "--size", "32",
            "--batch", "8", "--fine-tune", "1", "--freeze-epochs", "1", "--pretrained", body.toString(),
            "--workers", "2", "--out", run.toString(), "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("body from " + body, "fine_tune(1, base_lr=2e-3, freeze_epochs=1)");
        assertThat(Checkpoint.read(run).epochsDone()).isEqualTo(2);
    }

    @Test
    void aKilledRunResumesFromItsLastCheckpoint(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), GraftCommand.class.getName(),
            "train", "--data", shapes.toString(), "--arch", "resnet18", "--size", "32", "--batch", "8", "--epochs", "6",
            "--workers", "2", "--out", run.toString(), "--no-progress"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(dir.resolve("first.log").toFile());
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!Checkpoint.exists(run) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        p.destroyForcibly().waitFor();
        assertThat(Checkpoint.exists(run)).as(Files.readString(dir.resolve("first.log"))).isTrue();
        int done = Checkpoint.read(run).epochsDone();
        assertThat(done).isBetween(1, 5);

        var r = SummaryCommandTest.graft("train", "--data", shapes.toString(), "--arch", "resnet18", "--size", "32",
            "--batch", "8", "--epochs", "6", "--workers", "2", "--out", run.toString(), "--resume", "--no-progress",
            "--lr-find");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("resumed from " + run + " after epoch " + done);
        // the weights have moved past the point lr_find describes: a resume sweeps nothing and says so
        assertThat(r.err()).contains("--lr-find runs only before a run's first epoch; nothing is swept on a resume");
        assertThat(r.out()).doesNotContain("lr_find", "suggested learning rate");
        assertThat(Checkpoint.read(run).epochsDone()).isEqualTo(6);
        assertThat(Checkpoint.read(run).info().withArray("history").size()).isEqualTo(6);

        var other = SummaryCommandTest.graft("train", "--data", shapes.toString(), "--arch", "resnet18", "--size", "32",
            "--fine-tune", "3", "--out", run.toString(), "--resume");
        assertThat(other.code()).isEqualTo(1);
        assertThat(other.err()).contains("was started as fit_one_cycle(6, lr_max=1e-3); resume it with the same");
    }

    @Test
    void lrFindSuggestsARateAndDrawsTheCurve(@TempDir Path dir) throws Exception {
        Path svg = dir.resolve("lr.svg");
        var r = SummaryCommandTest.graft("lr-find", "--data", shapes.toString(), "--arch", "resnet18", "--size", "32",
            "--batch", "8", "--iterations", "12", "--workers", "2", "--plot", svg.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("suggested learning rate (valley): ", "curve: " + svg);
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        assertThat(doc.getDocumentElement().getNodeName()).isEqualTo("svg");
        assertThat(Files.readString(svg)).contains("id=\"valley\"", "<polyline");
    }

    @Test
    void badInputStopsBeforeTrainingWithOneLine(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        expectError(dir, List.of("--data", empty.toString()), "Dataset folder is empty");

        Path one = dir.resolve("one");
        Files.createDirectories(one.resolve("cat"));
        Files.copy(Files.list(shapes.resolve("train/circle")).findFirst().orElseThrow(), one.resolve("cat/a.png"));
        Files.copy(Files.list(shapes.resolve("train/square")).findFirst().orElseThrow(), one.resolve("cat/b.png"));
        expectError(dir, List.of("--data", one.toString()), "Only one class");

        Path broken = dir.resolve("broken");
        copyTree(shapes, broken);
        Files.write(broken.resolve("train/circle/zz_broken.png"), "not a png".getBytes(StandardCharsets.UTF_8));
        expectError(dir, List.of("--data", broken.toString()), "1 of 61 images cannot be read: ",
            "zz_broken.png", "--skip-unreadable");

        Path csv = dir.resolve("labels.csv");
        Files.writeString(csv, "fname,labels\nnope.png,cat\n" + shapes.resolve("train/circle/circle_0000.png")
            + ",dog\n");
        expectError(dir, List.of("--data", csv.toString(), "--multi-label"), "missing file");

        Path body = dir.resolve("r34.safetensors");
        SafeTensors.write(body, Initializer.init(VisionModel.torchvision("resnet34", 1000), 5), java.util.Map.of());
        expectError(dir, List.of("--data", shapes.toString(), "--pretrained", body.toString()),
            "--pretrained " + body + " does not fit resnet18");
    }

    @Test
    void anOutThatCannotBeWrittenFailsBeforeTraining(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        List<String[]> cases = new ArrayList<>(List.of(
            new String[] {file.toString(), "cannot write run folder " + file + ": it is not a folder"},
            new String[] {"/dev/null/x", "cannot write run folder /dev/null/x: /dev/null is not a folder"},
            new String[] {file.resolve("run").toString(), file + " is not a folder"}));
        if (Files.isDirectory(Path.of("/proc/self"))) {
            // procfs refuses new folders even to root
            cases.add(new String[] {"/proc/graft-run", "cannot write run folder /proc/graft-run: "});
        }
        Path readOnly = Files.createDirectories(dir.resolve("read-only"));
        if (readOnly.toFile().setWritable(false, false) && !Files.isWritable(readOnly)) {
            cases.add(new String[] {readOnly.resolve("run").toString(), "permission denied"});
        } // else running as root, for whom a folder's permissions do not stop writing: the run would succeed
        for (String[] c : cases) {
            var r = SummaryCommandTest.graft("train", "--data", shapes.toString(), "--arch", "resnet18", "--size", "32",
                "--batch", "8", "--epochs", "1", "--out", c[0], "--no-progress");
            assertThat(r.code()).as(c[0] + ": " + r.err()).isEqualTo(1);
            assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).startsWith("graft: ").contains(c[1]).doesNotContain("Exception");
            assertThat(r.out()).as("nothing was loaded or trained").doesNotContain("data:", "epoch");
        }
        assertThat(Files.readString(file)).isEqualTo("x");
        readOnly.toFile().setWritable(true, false);
    }

    @Test
    void skippedImagesAreLeftOutOfTheCountsAndTheLoader(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("broken");
        copyTree(shapes, broken);
        byte[] junk = "not a png".getBytes(StandardCharsets.UTF_8);
        Files.write(broken.resolve("train/circle/zz_broken.png"), junk);
        Files.write(broken.resolve("train/square/zz_broken.png"), junk);
        Files.write(broken.resolve("valid/circle/zz_broken.png"), junk);
        var log = new java.io.ByteArrayOutputStream();
        var r = PredictCommandTest.withSystemErr(log, () -> SummaryCommandTest.graft("train", "--data",
            broken.toString(), "--arch", "resnet18", "--size", "32", "--batch", "8", "--epochs", "1", "--workers", "2",
            "--out", dir.resolve("run").toString(), "--no-progress", "--skip-unreadable"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).startsWith("graft: skipping 3 unreadable images (2 training, 1 validation): ");
        assertThat(r.out()).contains("data: 48 training and 12 validation images, single_label");
        assertThat(log.toString(StandardCharsets.UTF_8)).as("the loader never meets them")
            .doesNotContain("zz_broken");
    }

    private static void expectError(Path dir, List<String> extra, String... wanted) {
        List<String> args = new ArrayList<>(List.of("train", "--arch", "resnet18", "--size", "32", "--batch", "8",
            "--epochs", "1", "--out", dir.resolve("never").toString()));
        args.addAll(extra);
        var r = SummaryCommandTest.graft(args.toArray(new String[0]));
        assertThat(r.code()).as(r.out()).isEqualTo(1);
        assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("graft: ").contains(wanted).doesNotContain("Exception");
        assertThat(dir.resolve("never")).doesNotExist();
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString().replace(File.separatorChar, '/'));
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
