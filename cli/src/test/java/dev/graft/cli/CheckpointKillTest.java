package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.trainer.data.SyntheticDataset;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code graft train} processes killed at every step of a checkpoint commit (through
 * {@link RunFolder#HALT_PROPERTY}, which halts the JVM at once as a kill would) and then at 20 random moments
 * (SIGKILL), one after the other on the same run folder. After each kill, {@code graft export} exports the folder's
 * checkpoint and the next process's {@code --resume} accepts it (it restores the checkpoint and its training state,
 * then trains on); the last resume runs to the end, with the whole history and nothing left over from the kills.
 */
class CheckpointKillTest {
    /** More epochs than the kills can use up, so that every process has training left to be killed in. */
    static final int EPOCHS = 24;

    @TempDir
    static Path shared;

    static Path data;

    @BeforeAll
    static void data() {
        data = shared.resolve("shapes");
        SyntheticDataset.generate(data, 2, 32, 6, false, 3);
    }

    /** The training command line; a tiny run: resnet18 at 32 px, 2 classes, 2 batches of 4 per epoch. */
    static List<String> trainArgs(Path data, Path run, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--arch", "resnet18",
            "--size", "32", "--batch", "4", "--epochs", String.valueOf(EPOCHS), "--workers", "2", "--seed", "5",
            "--out", run.toString(), "--no-progress"));
        args.addAll(List.of(extra));
        return args;
    }

    /** Starts {@code graft} in its own JVM, with the test's class path and {@code -D} properties. */
    static Process start(Path log, List<String> properties, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dai.djl.offline=true"));
        cmd.addAll(properties);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), GraftCommand.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        return pb.start();
    }

    static int run(Path log, List<String> properties, List<String> args) throws Exception {
        Process p = start(log, properties, args);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("graft did not finish within 5 minutes: " + Files.readString(log));
        }
        return p.exitValue();
    }

    /** Waits until the process has printed {@code text} (true), or has exited without it (false). */
    private static boolean awaitLine(Process p, Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (Files.readString(log).contains(text)) {
                return true;
            }
            if (!p.isAlive()) {
                return Files.readString(log).contains(text);
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no '" + text + "' within 5 minutes: " + Files.readString(log));
    }

    @Test
    void killsAtEveryCommitStepAndAtRandomMomentsNeverLoseTheRun(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        int done = 0;
        long longest = 0;
        for (int step = 1; step <= 8; step++) {
            // each process trains one epoch after its (re)start and halts in the middle of that epoch's commit
            Path log = dir.resolve("step" + step + ".log");
            List<String> args = done == 0 ? trainArgs(data, run) : trainArgs(data, run, "--resume");
            int halt = done == 0 ? 2 : done + 1;
            long t0 = System.nanoTime();
            Process p = start(log, List.of("-D" + RunFolder.HALT_PROPERTY + "=" + halt + ":" + step), args);
            assertThat(awaitLine(p, log, "schedule: ")).as(Files.readString(log)).isTrue();
            long started = System.nanoTime();
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
            if (done > 0) { // a fresh run's first process trains two epochs before its halt
                longest = Math.max(longest, System.nanoTime() - started);
            }
            String out = Files.readString(log);
            assertThat(p.exitValue()).as(out).isEqualTo(RunFolder.HALT_STATUS);
            assertThat(out).contains("halted after step " + step + " of the commit of epoch " + halt);
            if (done > 0) {
                assertThat(out).contains("resumed from " + run + " after epoch " + done);
            }
            // the commit is the record's rename (step 7): before it the previous checkpoint, after it the new one
            int expected = step >= 7 ? halt : halt - 1;
            assertThat(Checkpoint.read(run).epochsDone()).as("after a halt at step " + step).isEqualTo(expected);
            done = expected;
            exports(run, dir, "halt at step " + step);
        }

        Random random = new Random(18);
        List<String> kills = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            // killed at a random moment of the training that follows the resume: an epoch and a commit take "longest"
            Path log = dir.resolve("random" + i + ".log");
            Process p = start(log, List.of(), trainArgs(data, run, "--resume"));
            assertThat(awaitLine(p, log, "schedule: ")).as(Files.readString(log)).isTrue();
            assertThat(Files.readString(log)).contains("resumed from " + run + " after epoch " + done);
            long at = (long) (random.nextDouble() * longest);
            assertThat(p.waitFor(at, TimeUnit.NANOSECONDS)).as("finished before its kill: " + Files.readString(log))
                .isFalse();
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
            done = Checkpoint.read(run).epochsDone();
            kills.add(TimeUnit.NANOSECONDS.toMillis(at) + " ms -> " + done);
            exports(run, dir, "kill " + i + " at " + TimeUnit.NANOSECONDS.toMillis(at) + " ms");
        }
        System.out.printf("CheckpointKillTest: an epoch and its commit took up to %d ms; kills after the resume "
            + "(delay -> epochs done): %s%n", TimeUnit.NANOSECONDS.toMillis(longest), kills);
        assertThat(done).as("epochs left for the last resume").isLessThan(EPOCHS);

        var resume = SummaryCommandTest.graft(trainArgs(data, run, "--resume").toArray(new String[0]));
        assertThat(resume.code()).as(resume.err()).isZero();
        assertThat(resume.out()).contains("resumed from " + run + " after epoch " + done);
        Checkpoint c = Checkpoint.read(run);
        assertThat(c.epochsDone()).isEqualTo(EPOCHS);
        assertThat(c.info().withArray("history").size()).isEqualTo(EPOCHS);
        for (int e = 0; e < EPOCHS; e++) {
            assertThat(c.info().withArray("history").get(e).get("epoch").asInt()).isEqualTo(e);
        }
        try (var names = Files.list(run)) {
            // a kill during the training report's write may leave its temporary until the next write ages it out
            // (OutputFile.STALE_AFTER); the report itself is always whole
            assertThat(names.map(p -> p.getFileName().toString()).filter(n -> !n.matches("\\.report\\.html\\..*\\.tmp"))
                .collect(Collectors.toList()))
                .containsExactlyInAnyOrder(".lock", "checkpoint.json", String.format("epoch-%04d", EPOCHS),
                    TrainingReport.FILE);
        }
        assertThat(Files.readString(run.resolve(TrainingReport.FILE))).endsWith("</body></html>\n");
        exports(run, dir, "the finished run");
    }

    /** The folder's current checkpoint, with its training state, exports. */
    private static void exports(Path run, Path dir, String what) throws Exception {
        assertThat(RunFolder.read(run).state()).as(what).isNotNull();
        Path onnx = dir.resolve("model.onnx");
        Files.deleteIfExists(onnx);
        var export = SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--out", onnx.toString());
        assertThat(export.code()).as(what + ": " + export.err()).isZero();
        assertThat(onnx).as(what).isNotEmptyFile();
    }

    static Path copy(Path from, Path to) throws Exception {
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
        return to;
    }
}
