package dev.graft.trainer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.SyntheticDataset;
import dev.graft.trainer.schedule.LearningRates;
import dev.graft.trainer.schedule.LrFinderMath;
import dev.graft.trainer.schedule.OneCycle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real training on small synthetic images with the PyTorch engine: freezing, schedules, checkpoints. */
class LearnerTest {
    @TempDir
    Path tmp;

    private static Network resnet18(int classes) {
        return VisionModel.builder().setArch("resnet18").setClasses(classes).build();
    }

    private Learner small(ImageDataset data, int size, boolean freezeBn) {
        return Learner.builder(data).setNetwork(resnet18(data.classes().size())).optSize(size).optBatchSize(8)
            .optWorkers(1).optSeed(1).addCallbacks(EpochTable.printingTo(System.out)).optFreezeBatchNorm(freezeBn).build();
    }

    @Test
    void freezeKeepsTheBodyBitIdenticalWhileHeadAndBatchNormStatsMove() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 3, 32, 8, false, 3);
        try (Learner learner = small(data, 32, false)) {
            learner.freeze();
            Map<String, Tensor> before = learner.block().readWeights();
            learner.fitOneCycle(1, LearningRates.of(1e-2));
            Map<String, Tensor> after = learner.block().readWeights();
            Network net = learner.network();
            int convs = 0;
            for (Node n : net.nodes()) {
                String w = n.id() + ".weight";
                if (net.groupOf(n.id()) < 2 && n.layer() instanceof Layer.Conv2d) {
                    assertThat(java.util.Arrays.equals(after.get(w).toFloatArray(), before.get(w).toFloatArray())).as(w).isTrue();
                    convs++;
                }
            }
            assertThat(convs).isGreaterThan(10);
            String headLinear = net.headNodes().stream().filter(n -> n.layer() instanceof Layer.Linear)
                .reduce((a, b) -> b).orElseThrow().id() + ".weight";
            assertThat(java.util.Arrays.equals(after.get(headLinear).toFloatArray(), before.get(headLinear).toFloatArray())).isFalse();
            // train_bn: BatchNorm in the frozen body still updates its running statistics and its affine parameters
            assertThat(java.util.Arrays.equals(after.get("bn1.running_mean").toFloatArray(), before.get("bn1.running_mean").toFloatArray())).isFalse();
            assertThat(java.util.Arrays.equals(after.get("bn1.weight").toFloatArray(), before.get("bn1.weight").toFloatArray())).isFalse();

            // one step per batch, lr per group and mom from OneCycle's formulas
            List<Step> steps = learner.steps();
            int total = learner.batchesPerEpoch();
            assertThat(steps).hasSize(total);
            OneCycle c = OneCycle.defaults();
            for (int i = 0; i < total; i++) {
                double pos = (double) i / total;
                for (int g = 0; g < 3; g++) {
                    assertThat(steps.get(i).lr()[g]).isCloseTo(c.lr(1e-2, pos), within(1e-12));
                    assertThat(steps.get(i).mom()[g]).isCloseTo(c.mom(pos), within(1e-12));
                }
            }
        }
    }

    @Test
    void epochsLeaveNoNativeArraysBehind() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 3, 32, 8, false, 6);
        try (Learner learner = small(data, 32, false)) {
            int before = learner.liveArrays();
            assertThat(before).as("the parameters' and buffers' arrays").isPositive();
            learner.fitOneCycle(1, LearningRates.of(1e-3)); // on the CPU, Adam keeps its averages in Java arrays
            int afterOne = learner.liveArrays();
            assertThat(afterOne).as("arrays alive after the first epoch").isEqualTo(before);
            for (EpochResult r : learner.fitOneCycle(2, LearningRates.of(1e-3))) {
                assertThat(r.modelSeconds()).as("forward, loss and backward").isPositive();
                assertThat(r.optimiserSeconds()).as("Adam's steps").isPositive();
                assertThat(r.dataSeconds()).as("waiting for batches").isNotNegative();
                assertThat(r.dataSeconds() + r.modelSeconds() + r.optimiserSeconds()).as("parts of the training time")
                    .isLessThanOrEqualTo(r.trainSeconds());
            }
            learner.validate();
            learner.getPreds();
            assertThat(learner.liveArrays()).as("arrays alive after three more epochs, validation and get_preds")
                .isEqualTo(afterOne);
        }
    }

    @Test
    void freezeBatchNormHoldsBodyStatisticsToo() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 3, 32, 6, false, 4);
        try (Learner learner = small(data, 32, true)) {
            learner.freeze();
            Map<String, Tensor> before = learner.block().readWeights();
            learner.fitOneCycle(1, LearningRates.of(1e-2));
            Map<String, Tensor> after = learner.block().readWeights();
            for (String name : List.of("bn1.running_mean", "bn1.running_var", "bn1.weight", "layer4.1.bn2.bias")) {
                assertThat(java.util.Arrays.equals(after.get(name).toFloatArray(), before.get(name).toFloatArray())).as(name).isTrue();
            }
        }
    }

    @Test
    void fineTuneFollowsFastaiSchedule() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 3, 32, 6, false, 5);
        try (Learner learner = small(data, 32, false)) {
            learner.fineTune(1, 2e-3, 1);
            int n = learner.batchesPerEpoch();
            List<Step> steps = learner.steps();
            assertThat(steps).hasSize(2 * n);
            OneCycle frozen = OneCycle.defaults().withPctStart(0.99);
            OneCycle unfrozen = OneCycle.defaults().withPctStart(0.3).withDiv(5);
            double[] first = LearningRates.slice(2e-3).perGroup(3);
            double[] second = LearningRates.slice(1e-5, 1e-3).perGroup(3);
            for (int i = 0; i < n; i++) {
                double pos = (double) i / n;
                for (int g = 0; g < 3; g++) {
                    assertThat(steps.get(i).lr()[g]).isCloseTo(frozen.lr(first[g], pos), within(1e-15));
                    assertThat(steps.get(n + i).lr()[g]).isCloseTo(unfrozen.lr(second[g], pos), within(1e-15));
                    assertThat(steps.get(n + i).mom()[g]).isCloseTo(unfrozen.mom(pos), within(1e-15));
                }
            }
            assertThat(learner.frozenBelow()).isZero();
            assertThat(learner.epochsDone()).isEqualTo(2);
        }
    }

    @Test
    void theSameSeedRepeatsARunBitForBitWhateverRanBefore() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 3, 32, 8, false, 9);
        Map<String, Tensor> first;
        try (Learner learner = small(data, 32, false)) {
            learner.fitOneCycle(2, LearningRates.of(1e-2));
            first = learner.block().readWeights();
        }
        Map<String, Tensor> again;
        try (Learner other = small(data, 32, false); Learner learner = small(data, 32, false)) {
            other.lrFind(1e-5, 1, 5); // draws dropout masks from the same global generator first
            learner.fitOneCycle(2, LearningRates.of(1e-2));
            again = learner.block().readWeights();
        }
        assertThat(again.keySet()).isEqualTo(first.keySet());
        first.forEach((k, v) -> assertThat(java.util.Arrays.equals(again.get(k).toFloatArray(), v.toFloatArray()))
            .as(k).isTrue());
        try (Learner learner = Learner.builder(data).setNetwork(resnet18(3)).optSize(32).optBatchSize(8).optWorkers(1)
                .optSeed(2).addCallbacks(EpochTable.printingTo(System.out)).build()) {
            learner.fitOneCycle(2, LearningRates.of(1e-2));
            float[] w = learner.block().readWeights().get("conv1.weight").toFloatArray();
            assertThat(java.util.Arrays.equals(w, first.get("conv1.weight").toFloatArray())).isFalse();
        }
    }

    @Test
    void aResumedLearnerTakesOverTheTrainingStateAndHistoryOfItsCheckpoint() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 2, 32, 8, false, 9);
        Path run = tmp.resolve("run");
        dev.graft.models.checkpoint.TrainingState saved;
        try (Learner learner = Learner.builder(data).setNetwork(resnet18(2)).optSize(32).optBatchSize(4).optWorkers(1)
                .optSeed(3).addCallbacks(Checkpointing.open(run, null)).build()) {
            learner.fitOneCycle(2, LearningRates.of(1e-2));
            saved = learner.trainingState();
        }
        dev.graft.models.checkpoint.RunFolder.Snapshot s = dev.graft.models.checkpoint.RunFolder.read(run);
        assertThat(s.state().json().toString()).isEqualTo(saved.json().toString()); // numbers read back as ints
        assertThat(s.state().tensors()).isEqualTo(saved.tensors()).isNotEmpty();
        assertThat(saved.json().at("/optimizer_steps/conv1.weight").asInt()).isEqualTo(2 * 3);
        try (Learner resumed = Learner.builder(data).optResume(run).optSize(32).optBatchSize(4).optWorkers(1)
                .optSeed(3).build()) {
            assertThat(resumed.history()).hasSize(2);
            assertThat(resumed.trainingState().tensors()).isEqualTo(saved.tensors());
            assertThat(resumed.trainingState().json().toString()).isEqualTo(saved.json().toString());
        }
    }

    @Test
    void lrFindSweepsExponentiallyStopsOnDivergenceAndRestoresEveryWeight() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 3, 32, 8, false, 5);
        try (Learner learner = small(data, 32, false)) {
            Map<String, Tensor> before = learner.block().readWeights();
            LrFind r = learner.lrFind(1e-7, 10, 100);
            List<Double> losses = r.losses();
            // fastai stops once the smoothed loss passes 4x its best, long before the sweep reaches lr 10
            assertThat(losses.size()).isBetween(20, 99);
            double best = losses.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            double last = losses.get(losses.size() - 1);
            assertThat(last > 4 * best || Double.isNaN(last)).as("last %s, best %s", last, best).isTrue();
            assertThat(r.lrs()).hasSameSizeAs(losses);
            for (int i = 0; i < r.lrs().size(); i++) {
                assertThat(r.lrs().get(i)).isCloseTo(LrFinderMath.sweep(1e-7, 10, i / 100.0), within(1e-15));
            }
            assertThat(r.valley()).isIn(r.lrs().toArray());
            // nothing was trained: weights and BatchNorm statistics are back, bit for bit
            Map<String, Tensor> after = learner.block().readWeights();
            assertThat(after.keySet()).isEqualTo(before.keySet());
            assertThat(before).containsKey("bn1.running_mean");
            before.forEach((k, v) -> assertThat(java.util.Arrays.equals(after.get(k).toFloatArray(), v.toFloatArray()))
                .as(k).isTrue());
        }
    }

    @org.junit.jupiter.api.Test
    void macroF1IsScikitLearnsMacroAverage() {
        // label 0: tp 3, fp 1, fn 0 -> 6/7; label 1: tp 1, fp 0, fn 2 -> 2/4; label 2 never present nor predicted -> 0
        double f1 = Metrics.macroF1(new long[] {3, 1, 0}, new long[] {1, 0, 0}, new long[] {0, 2, 0});
        org.assertj.core.api.Assertions.assertThat(f1).isCloseTo((6.0 / 7 + 0.5 + 0) / 3,
            org.assertj.core.data.Offset.offset(1e-12));
    }
}
