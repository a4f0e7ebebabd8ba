package dev.graft.trainer.learner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.SyntheticDataset;
import dev.graft.trainer.schedule.LearningRates;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * resnet18 + fastai head from random initialisation learns the synthetic shapes (single-label and multi-label) to at
 * least 90% validation accuracy; the single-label checkpoint reloads to the same predictions.
 */
class AccuracyTest {
    @TempDir
    Path tmp;

    @Test
    void singleLabelReachesNinetyPercentAndCheckpointReloads() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 3, 64, 200, false, 7);
        Path run = tmp.resolve("run");
        Preds preds;
        long t0 = System.nanoTime();
        try (Learner learner = Learner.builder(data).setNetwork(VisionModel.builder().setArch("resnet18").setClasses(3)
                .build()).optSize(64).optBatchSize(32).optWorkers(2).optSeed(1)
                .addCallbacks(Checkpointing.open(run, null)).build()) {
            learner.fitOneCycle(Integer.getInteger("graft.epochs", 12), LearningRates.of(Double.parseDouble(
                System.getProperty("graft.lr", "3e-3"))));
            System.out.printf("trained in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertThat(learner.history().get(learner.history().size() - 1).metric()).isGreaterThanOrEqualTo(0.9);
            preds = learner.getPreds();
        }
        Checkpoint c = Checkpoint.read(run);
        assertThat(c.epochsDone()).isEqualTo(Integer.getInteger("graft.epochs", 12));
        try (Learner again = Learner.builder(data).optResume(run).optSize(64).optBatchSize(32).optWorkers(1).build()) {
            Preds reloaded = again.getPreds();
            assertThat(reloaded.probabilities()).isDeepEqualTo(preds.probabilities());
            assertThat(again.epochsDone()).isEqualTo(c.epochsDone());
        }
    }

    @Test
    void multiLabelReachesNinetyPercentAccuracyMulti() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("m"), 3, 64, 200, true, 11);
        try (Learner learner = Learner.builder(data).setNetwork(VisionModel.builder().setArch("resnet18").setClasses(3)
                .build()).optSize(64).optBatchSize(16).optWorkers(2).optSeed(1).build()) {
            learner.fitOneCycle(Integer.getInteger("graft.epochs", 16), LearningRates.of(Double.parseDouble(
                System.getProperty("graft.lr", "3e-3"))));
            EpochResult last = learner.history().get(learner.history().size() - 1);
            assertThat(last.metric()).isGreaterThanOrEqualTo(0.9);
            assertThat(last.secondMetric()).as("macro F1").isBetween(0.8, 1.0);
            Preds preds = learner.getPreds();
            for (float[] row : preds.probabilities()) {
                assertThat(row).hasSize(3);
                for (float p : row) {
                    assertThat(p).isBetween(0f, 1f);
                }
            }
        }
    }
}
