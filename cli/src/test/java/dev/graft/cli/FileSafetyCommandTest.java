package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output paths that must never be replaced and inputs that must never be read whole, through the real commands: a
 * device node (mknod), a FIFO, symbolic and hard links, a directory, the command's own input; {@code /dev/zero}, a
 * FIFO and a sparse file over the cap as images.
 */
class FileSafetyCommandTest {
    @TempDir
    Path dir;

    private static Path golden(String name) {
        return Path.of(System.getProperty("graft.shared.dir", "../shared"), "golden", name);
    }

    @Test
    void exportRefusesEveryNonRegularTargetAndItsOwnWeightsLeavingThemUntouched() throws Exception {
        Path source = golden("resnet18_c3_64.fastai.safetensors");
        if (!Files.exists(source)) {
            assertThat(System.getenv("CI")).as("the golden fixture " + source + " is missing").isNotEqualTo("true");
            assumeTrue(false, "golden fixture missing: " + source);
        }
        Path weights = Files.copy(source, dir.resolve("weights.safetensors"));
        String before = sha256(weights);
        Path hardLink = Files.createLink(dir.resolve("hard.onnx"), weights);
        Path symlink = Files.createSymbolicLink(dir.resolve("link.onnx"), weights);
        Path folder = Files.createDirectory(dir.resolve("folder.onnx"));
        Path fifo = dir.resolve("fifo.onnx");
        assumeTrue(run("mkfifo", fifo.toString()) == 0, "mkfifo failed");
        Path device = dir.resolve("device.onnx");
        boolean haveDevice = run("mknod", device.toString(), "c", "1", "3") == 0;
        if (!haveDevice) {
            System.out.println("mknod failed (not root, or device nodes not allowed here): the device-node case is skipped");
        }

        check(export(weights, weights), "it is the same file as the input " + weights);
        check(export(weights, hardLink), "it is the same file as the input " + weights);
        check(export(weights, dir.resolve(".").resolve("weights.safetensors")), "it is the same file as the input");
        check(export(weights, symlink), "it is a symbolic link (to " + weights + ")");
        check(export(weights, folder), "it is a directory");
        check(export(weights, fifo), "it is a FIFO (named pipe), not a regular file");
        if (haveDevice) {
            check(export(weights, device), "it is a character device, not a regular file");
            assertThat(Files.isRegularFile(device, LinkOption.NOFOLLOW_LINKS)).isFalse();
            assertThat(dev.graft.files.OutputFile.kind(device)).isEqualTo("a character device");
        }
        assertThat(sha256(weights)).isEqualTo(before);
        assertThat(Files.isSymbolicLink(symlink)).isTrue();
        assertThat(Files.isDirectory(folder)).isTrue();
        assertThat(dev.graft.files.OutputFile.kind(fifo)).isEqualTo("a FIFO (named pipe)");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }

        // what a killed export leaves (a minute old, no process holding it) goes with the next export to that name;
        // a fresh one, which a running export could be writing, stays
        Path stale = old(Files.write(dir.resolve(".model.onnx.9e3779b97f4a7c15.tmp"), new byte[4096]));
        Path fresh = Files.write(dir.resolve(".model.onnx.1234.tmp"), new byte[16]);
        var ok = export(weights, dir.resolve("model.onnx"));
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(stale).doesNotExist();
        assertThat(fresh).exists();
        assertThat(dir.resolve("model.onnx")).isRegularFile();
        assertThat(sha256(weights)).isEqualTo(before);
    }

    private static Path old(Path p) throws IOException {
        Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(120)));
        return p;
    }

    @Test
    void drawBenchAndMergeRefuseTargetsTheyMustNotReplace() throws Exception {
        Path fifo = dir.resolve("model.svg");
        assumeTrue(run("mkfifo", fifo.toString()) == 0, "mkfifo failed");
        var draw = SummaryCommandTest.graft("draw", "--arch", "resnet18", "--classes", "3", "--out", fifo.toString());
        check(draw, "cannot write the drawing to " + fifo + ": it is a FIFO (named pipe)");
        assertThat(dev.graft.files.OutputFile.kind(fifo)).isEqualTo("a FIFO (named pipe)");
        Path stale = old(Files.writeString(dir.resolve(".net.svg.abcdef.tmp"), "<svg"));
        var drawn = SummaryCommandTest.graft("draw", "--arch", "resnet18", "--classes", "3", "--out",
                dir.resolve("net.svg").toString());
        assertThat(drawn.code()).as(drawn.err()).isZero();
        assertThat(stale).doesNotExist();

        Path model = EdgeFixtures.writeModel(dir, "model.onnx", null);
        byte[] modelBytes = Files.readAllBytes(model);
        var bench = SummaryCommandTest.graft("bench", model.toString(), "--runs", "5", "--warmup", "1",
                "--no-progress", "--out", model.toString());
        check(bench, "cannot write the benchmark results to " + model + ": it is the same file as the input " + model);
        assertThat(bench.out()).as("refused before measuring").doesNotContain("|");
        Path realReport = Files.writeString(dir.resolve("old.html"), "old report");
        Path link = Files.createSymbolicLink(dir.resolve("report.html"), realReport);
        var report = SummaryCommandTest.graft("bench", model.toString(), "--runs", "5", "--warmup", "1",
                "--no-progress", "--report", link.toString());
        check(report, "it is a symbolic link");
        assertThat(Files.readAllBytes(model)).isEqualTo(modelBytes);
        assertThat(Files.readString(realReport)).isEqualTo("old report");

        Path results = Files.writeString(dir.resolve("a.json"), "{\"results\": \"precious\"}");
        Path alias = Files.createLink(dir.resolve("alias.json"), results);
        var merge = SummaryCommandTest.graft("bench", "merge", results.toString(), "--out", alias.toString());
        check(merge, "it is the same file as the input " + results);
        assertThat(Files.readString(results)).isEqualTo("{\"results\": \"precious\"}");
    }

    @Test
    void predictOnDevZeroIsOneLineAndNonZeroWithinSeconds() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/zero")), "/dev/zero is missing here");
        Path model = EdgeFixtures.writeModel(dir, "model.onnx", null);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "dev.graft.cli.GraftCommand", "predict", model.toString(), "/dev/zero", "--device", "cpu");
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        pb.redirectError(dir.resolve("err.txt").toFile()).redirectOutput(dir.resolve("out.txt").toFile());
        long start = System.nanoTime();
        Process p = pb.start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("graft predict MODEL /dev/zero: exit %s after %.1f s (process start and model load included)%n",
                ended ? p.exitValue() : "none", seconds);
        assertThat(ended).as("graft predict on /dev/zero ended").isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        List<String> err = Files.readAllLines(dir.resolve("err.txt"), StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank()).toList();
        assertThat(err).containsExactly(
                "graft: /dev/zero is a character device, not a regular file; only regular files are read");
        assertThat(Files.readString(dir.resolve("out.txt"))).isEmpty();
    }

    @Test
    void predictRefusesAFifoAndAFileOverTheCapWhichTheOptionRaises() throws Exception {
        Path model = EdgeFixtures.writeModel(dir, "model.onnx", null);
        Path fifo = dir.resolve("camera.png");
        assumeTrue(run("mkfifo", fifo.toString()) == 0, "mkfifo failed");
        Path sparse = dir.resolve("huge.png");
        try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
            f.setLength((64L << 20) + 1);
        }
        Path good = Files.write(dir.resolve("good.png"), EdgeFixtures.encode(EdgeFixtures.picture(50, 50, 3), "png"));
        var r = SummaryCommandTest.graft("predict", model.toString(), fifo.toString(), sparse.toString(),
                good.toString(), "--device", "cpu");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out().strip()).startsWith(good + ": ");
        assertThat(r.err().strip().split("\n")).containsExactly(
                "graft: " + fifo + " is a FIFO (named pipe), not a regular file; only regular files are read",
                "graft: " + sparse + " is 64.0 MiB (67108865 bytes), over the limit of 64 MiB (raise it with"
                        + " --max-image-bytes)");

        long size = Files.size(good);
        var low = SummaryCommandTest.graft("predict", model.toString(), good.toString(), "--device", "cpu",
                "--max-image-bytes", String.valueOf(size - 1));
        assertThat(low.code()).isEqualTo(1);
        assertThat(low.err()).contains("over the limit of " + (size - 1) + " bytes (raise it with --max-image-bytes)");
        var exact = SummaryCommandTest.graft("predict", model.toString(), good.toString(), "--device", "cpu",
                "--max-image-bytes", String.valueOf(size));
        assertThat(exact.code()).as(exact.err()).isZero();
        var bad = SummaryCommandTest.graft("predict", model.toString(), good.toString(), "--max-image-bytes", "lots");
        check(bad, "--max-image-bytes takes a size like 64MB, 512KB or 1048576");
    }

    @Test
    void trainStopsBeforeTrainingOnAnImageOverTheCap() throws Exception {
        Path data = dir.resolve("shapes");
        var synth = SummaryCommandTest.graft("data", "synth", "--out", data.toString(), "--classes", "2", "--size", "32",
                "--per-class", "4", "--seed", "1");
        assertThat(synth.code()).as(synth.err()).isZero();
        Path big;
        try (Stream<Path> s = Files.walk(data)) {
            big = s.filter(p -> p.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength((64L << 20) + 1);
        }
        var r = SummaryCommandTest.graft("train", "--data", data.toString(), "--arch", "resnet18", "--size", "32",
                "--batch", "2", "--epochs", "1", "--out", dir.resolve("run").toString(), "--no-progress");
        check(r, big + " (it is 64.0 MiB (67108865 bytes), over the limit of 64 MiB); --max-image-bytes raises the limit");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void noCommandWritesOverTheFilesOfTheCheckpointItReads() throws Exception {
        dev.graft.models.spec.Network net = dev.graft.models.arch.VisionModel.builder().setArch("resnet18").setClasses(3)
            .build();
        Path run = dir.resolve("run");
        new dev.graft.models.checkpoint.Checkpoint(net, dev.graft.models.weights.Initializer.init(net, 1),
            dev.graft.models.checkpoint.Task.SINGLE_LABEL, List.of("a", "b", "c"),
            dev.graft.models.checkpoint.Preprocessing.imagenet(32, 32), 0.5, 1, null).write(run);
        List<Path> files = dev.graft.models.checkpoint.RunFolder.files(run);
        Path weights = dev.graft.models.checkpoint.RunFolder.weightsFile(run);
        assertThat(files).contains(weights, run.resolve("checkpoint.json"));
        String before = sha256(weights);
        check(SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--out", weights.toString()),
            "same file as the input");
        Path link = dir.resolve("weights-link.onnx");
        Files.createLink(link, weights);
        check(SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--out", link.toString()),
            "same file as the input");
        check(SummaryCommandTest.graft("draw", "--checkpoint", run.toString(), "--out",
            run.resolve("checkpoint.json").toString()), "same file as the input");
        assertThat(sha256(weights)).isEqualTo(before);
        assertThat(dev.graft.models.checkpoint.Checkpoint.read(run).epochsDone()).isEqualTo(1);
    }

    private SummaryCommandTest.Run export(Path weights, Path out) {
        return SummaryCommandTest.graft("export", "--weights", weights.toString(), "--arch", "resnet18", "--classes", "3",
                "--size", "64", "--out", out.toString());
    }

    private static void check(SummaryCommandTest.Run r, String expected) {
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("graft: ").contains(expected).doesNotContain("\tat ", "Exception");
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
    }

    private static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
