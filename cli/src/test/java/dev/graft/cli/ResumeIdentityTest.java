package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded {@code graft train --fine-tune} killed after epoch k (a real process, halted right after its commit) and
 * resumed ends with the same weights, bit for bit, as the same run done in one go, with the same optimiser state and
 * the whole history: once at the switch from the frozen to the unfrozen phase, once in the middle of a cycle.
 */
class ResumeIdentityTest {
    @TempDir
    static Path shared;

    static Path data;

    @BeforeAll
    static void data() {
        data = shared.resolve("shapes");
        SyntheticDataset.generate(data, 2, 32, 8, false, 3);
    }

    private static List<String> args(Path run, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data.toString(), "--arch", "resnet18", "--size",
            "32", "--batch", "4", "--fine-tune", "2", "--freeze-epochs", "1", "--lr", "4e-3", "--workers", "2",
            "--seed", "11", "--out", run.toString(), "--no-progress"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void aKilledAndResumedRunEndsBitIdenticalToAnUninterruptedOne(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole");
        var r = SummaryCommandTest.graft(args(whole).toArray(new String[0]));
        assertThat(r.code()).as(r.err()).isZero();
        Checkpoint reference = Checkpoint.read(whole);
        assertThat(reference.epochsDone()).isEqualTo(3);

        for (int k : new int[] {1, 2}) {
            Path run = dir.resolve("killed-after-" + k);
            Path log = dir.resolve("killed-after-" + k + ".log");
            int code = CheckpointKillTest.run(log, List.of("-D" + RunFolder.HALT_PROPERTY + "=" + k + ":8"), args(run));
            assertThat(code).as(Files.readString(log)).isEqualTo(RunFolder.HALT_STATUS);
            assertThat(Checkpoint.read(run).epochsDone()).isEqualTo(k);

            var resumed = SummaryCommandTest.graft(args(run, "--resume").toArray(new String[0]));
            assertThat(resumed.code()).as(resumed.err()).isZero();
            Checkpoint c = Checkpoint.read(run);
            assertThat(c.epochsDone()).isEqualTo(3);
            assertThat(Checkpoint.weightsHash(run)).as("weights after a kill after epoch " + k)
                .isEqualTo(Checkpoint.weightsHash(whole));
            assertThat(c.weights()).isEqualTo(reference.weights());
            assertThat(Checkpoint.sha256(run.resolve("epoch-0003/training-state.safetensors")))
                .as("optimiser state after a kill after epoch " + k)
                .isEqualTo(Checkpoint.sha256(whole.resolve("epoch-0003/training-state.safetensors")));
            JsonNode history = c.info().get("history");
            JsonNode expected = reference.info().get("history");
            assertThat(history.size()).isEqualTo(3);
            for (int e = 0; e < 3; e++) {
                for (String field : List.of("epoch", "train_loss", "valid_loss", "metric", "train_images")) {
                    assertThat(history.get(e).get(field)).as("epoch " + e + " " + field + " after a kill after " + k)
                        .isEqualTo(expected.get(e).get(field));
                }
            }
        }
    }

    @Test
    void resumingWithOtherOptionsIsRefusedWithOneLine(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        int code = CheckpointKillTest.run(dir.resolve("log"), List.of("-D" + RunFolder.HALT_PROPERTY + "=1:8"),
            args(run));
        assertThat(code).isEqualTo(RunFolder.HALT_STATUS);
        List<String> changed = new ArrayList<>(args(run, "--resume"));
        changed.set(changed.indexOf("11"), "12");
        changed.set(changed.indexOf("4e-3"), "2e-3");
        var r = SummaryCommandTest.graft(changed.toArray(new String[0]));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("graft: the run in " + run + " was started with --lr 4e-3 --seed 11; "
            + "resume it with the same options");
        assertThat(Checkpoint.read(run).epochsDone()).isEqualTo(1);
    }
}
