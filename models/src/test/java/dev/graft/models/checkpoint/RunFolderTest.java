package dev.graft.models.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.NetworkJson;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run folder's generations, commit record, stale-file collection, lock and backward compatibility. */
class RunFolderTest {
    private final Network net = VisionModel.builder().setArch("resnet18").setClasses(2).build();

    private Checkpoint at(int epochs, long seed) {
        return new Checkpoint(net, Initializer.init(net, seed), Task.SINGLE_LABEL, List.of("a", "b"),
            Preprocessing.imagenet(32, 32), 0.5, epochs, null);
    }

    private static List<String> names(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void eachCommitReplacesTheGenerationAndRemovesTheOldOne(@TempDir Path dir) throws Exception {
        Map<String, Tensor> moments = new LinkedHashMap<>();
        moments.put("x.grad_avg", Tensor.ofFloats(new long[] {3}, new float[] {1, 2, 3}));
        ObjectNode json = JsonNodeFactory.instance.objectNode().put("step", 7);
        try (RunFolder f = RunFolder.open(dir)) {
            f.commit(at(1, 1), new TrainingState(json, moments));
            assertThat(names(dir)).containsExactly(".lock", "checkpoint.json", "epoch-0001");
            f.commit(at(2, 2), new TrainingState(json, moments));
            assertThat(names(dir)).containsExactly(".lock", "checkpoint.json", "epoch-0002");
            assertThat(names(dir.resolve("epoch-0002")))
                .containsExactly("network.json", "training-state.safetensors", "weights.safetensors");
        }
        RunFolder.Snapshot s = RunFolder.read(dir);
        assertThat(s.checkpoint().epochsDone()).isEqualTo(2);
        assertThat(s.checkpoint().weights()).isEqualTo(Initializer.init(net, 2));
        assertThat(s.state().json().get("step").asInt()).isEqualTo(7);
        assertThat(s.state().tensors().get("x.grad_avg").toFloatArray()).containsExactly(1, 2, 3);
        assertThat(RunFolder.weightsFile(dir)).isEqualTo(dir.resolve("epoch-0002/weights.safetensors"));
        assertThat(Checkpoint.weightsHash(dir)).isEqualTo(Checkpoint.sha256(dir.resolve("epoch-0002/weights.safetensors")));

        // the same epoch count again (a standalone writer) gets a fresh generation, never the current one
        at(2, 3).write(dir);
        assertThat(names(dir)).hasSize(3).anyMatch(n -> n.matches("epoch-0002-[0-9a-f]{8}"));
        assertThat(Checkpoint.read(dir).weights()).isEqualTo(Initializer.init(net, 3));
        assertThat(RunFolder.read(dir).state()).isNull();

        Files.write(dir.resolve(RunFolder.weightsFile(dir).getParent().getFileName()).resolve("network.json"),
            new byte[] {' '}, java.nio.file.StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Checkpoint.read(dir)).isInstanceOf(GraftException.class)
            .hasMessageContaining("network.json does not match its checkpoint.json");
    }

    @Test
    void aTrainingStateThatDoesNotMatchItsRecordIsRefused(@TempDir Path dir) throws Exception {
        try (RunFolder f = RunFolder.open(dir)) {
            f.commit(at(1, 1), new TrainingState(null, Map.of("m", Tensor.ofFloats(new long[] {1}, new float[] {4}))));
        }
        SafeTensors.write(dir.resolve("epoch-0001/training-state.safetensors"),
            Map.of("m", Tensor.ofFloats(new long[] {1}, new float[] {5})), Map.of());
        assertThatThrownBy(() -> RunFolder.read(dir)).isInstanceOf(GraftException.class)
            .hasMessageContaining("training-state.safetensors does not match its checkpoint.json");
    }

    @Test
    void aFolderInTheSideBySideLayoutIsReadAndMigratedByTheNextCommit(@TempDir Path dir) throws Exception {
        Map<String, Tensor> w = Initializer.init(net, 4);
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        net.params().keySet().forEach(k -> ordered.put(k, w.get(k)));
        SafeTensors.write(dir.resolve("weights.safetensors"), ordered, Map.of());
        Files.writeString(dir.resolve("network.json"), NetworkJson.write(net));
        ObjectNode meta = new ObjectMapper().createObjectNode().put("format", "graft-checkpoint").put("version", 1)
            .put("arch", "resnet18").put("task", "single_label").put("threshold", 0.5).put("epochs_done", 3)
            .put("weights_sha256", Checkpoint.sha256(dir.resolve("weights.safetensors")));
        meta.putArray("labels").add("a").add("b");
        meta.set("preprocessing", new ObjectMapper().valueToTree(Preprocessing.imagenet(32, 32)));
        Files.writeString(dir.resolve("checkpoint.json"), meta.toString());

        assertThat(Checkpoint.read(dir).epochsDone()).isEqualTo(3);
        assertThat(Checkpoint.read(dir).weights()).isEqualTo(w);
        assertThat(RunFolder.weightsFile(dir)).isEqualTo(dir.resolve("weights.safetensors"));
        try (RunFolder f = RunFolder.open(dir)) {
            assertThat(names(dir)).contains("weights.safetensors", "network.json"); // still the current checkpoint
            f.commit(at(4, 5), null);
        }
        assertThat(names(dir)).containsExactly(".lock", "checkpoint.json", "epoch-0004");
    }

    @Test
    void staleTemporariesOfOurOwnAreRemovedAndNothingElse(@TempDir Path dir) throws Exception {
        at(1, 1).write(dir);
        List<String> ours = List.of(".weights.safetensors.3fa9c2d1.tmp", ".checkpoint.json.77aa.tmp",
            ".checkpoint.json.tmp-4242", ".network.json.tmp-17", ".graft-probe.1234abcd.tmp");
        for (String n : ours) {
            Files.write(dir.resolve(n), new byte[100]);
        }
        Path tempGeneration = Files.createDirectories(dir.resolve(".epoch-0002.5e5e5e5e.tmp"));
        Files.write(tempGeneration.resolve("weights.safetensors"), new byte[10]);
        Files.write(tempGeneration.resolve(".weights.safetensors.abc.tmp"), new byte[10]);
        Path oldGeneration = Files.createDirectories(dir.resolve("epoch-0000"));
        Files.write(oldGeneration.resolve("network.json"), new byte[10]);
        List<String> theirs = List.of("notes.txt", ".weights.safetensors.tmp.bak", "model.onnx", "weights.safetensors.tmp");
        for (String n : theirs) {
            Files.write(dir.resolve(n), new byte[1]);
        }
        Path foreign = Files.createDirectories(dir.resolve("epoch-0007"));
        Files.write(foreign.resolve("mine.txt"), new byte[1]);
        Path elsewhere = Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-elsewhere"));
        Files.write(elsewhere.resolve("weights.safetensors"), new byte[1]);
        Files.createSymbolicLink(dir.resolve("epoch-0005"), elsewhere); // never followed

        try (RunFolder f = RunFolder.open(dir)) {
            assertThat(names(dir)).containsExactlyInAnyOrder(".lock", "checkpoint.json", "epoch-0001", "epoch-0007",
                "epoch-0005",
                "notes.txt", ".weights.safetensors.tmp.bak", "model.onnx", "weights.safetensors.tmp");
            assertThat(names(foreign)).containsExactly("mine.txt");
            assertThat(names(elsewhere)).containsExactly("weights.safetensors");
        }
        assertThat(Checkpoint.read(dir).epochsDone()).isEqualTo(1);
    }

    @Test
    void aSecondWriterIsRefusedWithOneLine(@TempDir Path dir) {
        try (RunFolder f = RunFolder.open(dir)) {
            assertThatThrownBy(() -> RunFolder.open(dir)).isInstanceOf(GraftException.class)
                .hasMessageContaining("another process is writing checkpoints to " + dir).hasMessageNotContaining("\n");
        }
        RunFolder.open(dir).close(); // released with the first
    }

    @Test
    void aRecordCannotPointOutsideItsFolder(@TempDir Path dir) throws Exception {
        at(1, 1).write(dir.resolve("run"));
        Path meta = dir.resolve("run/checkpoint.json");
        ObjectNode record = (ObjectNode) new ObjectMapper().readTree(meta.toFile());
        record.put("generation", "../elsewhere");
        Files.writeString(meta, record.toString());
        assertThatThrownBy(() -> Checkpoint.read(dir.resolve("run"))).isInstanceOf(GraftException.class)
            .hasMessageContaining("names an invalid generation '../elsewhere'");
    }

    @Test
    void writabilityIsCheckedWithoutLeavingAnything(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> RunFolder.checkWritable(file)).hasMessage("cannot write run folder " + file
            + ": it is not a folder");
        assertThatThrownBy(() -> RunFolder.checkWritable(file.resolve("run")))
            .hasMessageContaining(file + " is not a folder");
        assertThatThrownBy(() -> RunFolder.checkWritable(Path.of("/dev/null/x")))
            .hasMessage("cannot write run folder /dev/null/x: /dev/null is not a folder");
        if (Files.isDirectory(Path.of("/proc/self"))) {
            // refused even for root: procfs creates no folders
            assertThatThrownBy(() -> RunFolder.checkWritable(Path.of("/proc/graft-run")))
                .isInstanceOf(GraftException.class).hasMessageStartingWith("cannot write run folder /proc/graft-run: ");
        }
        RunFolder.checkWritable(dir.resolve("a/b/c"));
        RunFolder.checkWritable(dir);
        assertThat(names(dir)).containsExactly("file");
    }

    @Test
    void theRecordNamesEveryFileWithItsHash(@TempDir Path dir) throws Exception {
        try (RunFolder f = RunFolder.open(dir)) {
            f.commit(at(3, 1), new TrainingState(null, Map.of()));
        }
        JsonNode record = new ObjectMapper().readTree(dir.resolve("checkpoint.json").toFile());
        assertThat(record.get("version").asInt()).isEqualTo(2);
        assertThat(record.get("generation").asText()).isEqualTo("epoch-0003");
        assertThat(record.get("weights_sha256").asText())
            .isEqualTo(Checkpoint.sha256(dir.resolve("epoch-0003/weights.safetensors")));
        assertThat(record.get("network_sha256").asText())
            .isEqualTo(Checkpoint.sha256(dir.resolve("epoch-0003/network.json")));
        assertThat(record.get("training_state_sha256").asText())
            .isEqualTo(Checkpoint.sha256(dir.resolve("epoch-0003/training-state.safetensors")));
    }
}
