package dev.graft.models.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    private final Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();

    private Checkpoint sample() {
        return new Checkpoint(net, Initializer.init(net, 9), Task.SINGLE_LABEL, List.of("circle", "square", "star"),
            Preprocessing.imagenet(64, 64), 0.5, 2, null);
    }

    @Test
    void writesAndReadsBackEqual(@TempDir Path dir) throws Exception {
        Checkpoint c = sample();
        c.write(dir.resolve("run"));
        Checkpoint back = Checkpoint.read(dir.resolve("run"));
        assertThat(back.network()).isEqualTo(net);
        assertThat(back.weights()).isEqualTo(c.weights());
        assertThat(back.labels()).containsExactly("circle", "square", "star");
        assertThat(back.preprocessing()).isEqualTo(Preprocessing.imagenet(64, 64));
        assertThat(back.epochsDone()).isEqualTo(2);
        assertThat(back.task()).isEqualTo(Task.SINGLE_LABEL);
        try (var files = Files.list(dir.resolve("run"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("checkpoint.json", "epoch-0002", ".lock");
        }
        try (var files = Files.list(dir.resolve("run/epoch-0002"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("network.json", "weights.safetensors");
        }
    }

    @Test
    void aWeightsFileThatDoesNotMatchItsRecordIsRefused(@TempDir Path dir) throws Exception {
        sample().write(dir);
        Files.write(dir.resolve("epoch-0002/weights.safetensors"), new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Checkpoint.read(dir)).isInstanceOf(GraftException.class)
            .hasMessageContaining("does not match its checkpoint.json");
    }

    @Test
    void missingPiecesAreNamed(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Checkpoint.read(dir.resolve("nope"))).hasMessageContaining("does not exist");
        sample().write(dir);
        Files.delete(dir.resolve("epoch-0002/network.json"));
        assertThatThrownBy(() -> Checkpoint.read(dir)).isInstanceOf(GraftException.class)
            .hasMessageContaining("network.json is missing");
        assertThatThrownBy(() -> new Checkpoint(net, Initializer.init(net, 1), Task.SINGLE_LABEL, List.of("a"),
            Preprocessing.imagenet(64, 64), 0.5, 0, null)).hasMessageContaining("3 outputs but 1 labels");
    }
}
