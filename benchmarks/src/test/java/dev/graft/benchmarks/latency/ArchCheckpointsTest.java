package dev.graft.benchmarks.latency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trained-like checkpoint at 224 px written and read back, and bad arguments refused before anything is written. */
class ArchCheckpointsTest {
    @TempDir
    Path dir;

    @Test
    void writesACheckpointWithTrainedLikeStatisticsAt224() {
        ArchCheckpoints.run(new String[] {dir.toString(), "squeezenet1_1", "2"});
        Checkpoint c = Checkpoint.read(dir.resolve("squeezenet1_1"));
        assertThat(c.network().arch()).isEqualTo("squeezenet1_1");
        assertThat(c.labels()).hasSize(ArchCheckpoints.CLASSES);
        assertThat(c.preprocessing().height()).isEqualTo(224);
        // SqueezeNet has no BatchNorm in its body: this is the head's, which read its statistics from a 224 px forward: far from the identity's mean 0, variance 1
        String bn = c.weights().keySet().stream().filter(k -> k.endsWith(".running_var")).findFirst().orElseThrow();
        float[] var = c.weights().get(bn).toFloatArray();
        float[] mean = c.weights().get(bn.replace("running_var", "running_mean")).toFloatArray();
        assertThat(mean).isNotEqualTo(new float[mean.length]);
        double farthest = 0;
        for (float v : var) {
            farthest = Math.max(farthest, Math.abs(v - 1));
        }
        assertThat(farthest).isGreaterThan(0.01);
    }

    @Test
    void badArgumentsAreOneLineAndWriteNothing() {
        assertThatThrownBy(() -> ArchCheckpoints.run(new String[] {dir.toString(), "resnet18,mobilenet_v9"}))
            .isInstanceOf(GraftException.class).hasMessageStartingWith("unknown architecture 'mobilenet_v9'");
        assertThat(dir.resolve("resnet18")).doesNotExist();
        assertThatThrownBy(() -> ArchCheckpoints.run(new String[] {dir.toString(), "resnet18", "1"}))
            .hasMessage("calibration images per pass must be 2 to 64 (the head's BatchNorm1d needs two), not '1'");
        assertThatThrownBy(() -> ArchCheckpoints.run(new String[] {"--bogus"})).hasMessageStartingWith("usage:");
    }
}
