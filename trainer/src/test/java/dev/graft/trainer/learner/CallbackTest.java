package dev.graft.trainer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.SyntheticDataset;
import dev.graft.trainer.schedule.LearningRates;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The callback events, their order and cancellation, the Recorder and the epoch table, on real training. */
class CallbackTest {
    @TempDir
    static Path tmp;

    static ImageDataset data;

    @BeforeAll
    static void data() {
        data = SyntheticDataset.generate(tmp.resolve("d"), 3, 32, 8, false, 3);
    }

    private static LearnerBuilder small(Callback... cbs) {
        return Learner.builder(data).setNetwork(VisionModel.builder().setArch("resnet18").setClasses(3).build())
            .optSize(32).optBatchSize(8).optWorkers(1).optSeed(1).addCallbacks(cbs);
    }

    /** Writes down every event it sees; batch events of validation end in "/valid". */
    static final class Events implements Callback {
        final List<String> seen = new ArrayList<>();

        private void log(String event, TrainingView v) {
            boolean batchEvent = List.of("beforeBatch", "afterPred", "afterLoss", "afterBatch").contains(event);
            seen.add(event + (batchEvent && !v.training() ? "/valid" : ""));
        }

        @Override
        public void beforeFit(TrainingView v) {
            log("beforeFit", v);
        }

        @Override
        public void beforeEpoch(TrainingView v) {
            log("beforeEpoch", v);
        }

        @Override
        public void beforeTrain(TrainingView v) {
            log("beforeTrain", v);
        }

        @Override
        public void beforeBatch(TrainingView v) {
            log("beforeBatch", v);
        }

        @Override
        public void afterPred(TrainingView v) {
            assertThat(v.output()).hasSize(v.batchSize() * v.outputWidth());
            log("afterPred", v);
        }

        @Override
        public void afterLoss(TrainingView v) {
            assertThat(v.loss()).isFinite();
            log("afterLoss", v);
        }

        @Override
        public void afterStep(TrainingView v) {
            log("afterStep", v);
        }

        @Override
        public void afterBatch(TrainingView v) {
            log("afterBatch", v);
        }

        @Override
        public void afterTrain(TrainingView v) {
            log("afterTrain", v);
        }

        @Override
        public void beforeValidate(TrainingView v) {
            log("beforeValidate", v);
        }

        @Override
        public void afterValidate(TrainingView v) {
            log("afterValidate", v);
        }

        @Override
        public void afterEpoch(TrainingView v) {
            log("afterEpoch", v);
        }

        @Override
        public void afterFit(TrainingView v) {
            log("afterFit", v);
        }
    }

    @Test
    void eventsComeInFastaisOrder() {
        Events events = new Events();
        try (Learner learner = small(events).build()) {
            learner.fitOneCycle(1, LearningRates.of(1e-3));
            int trainBatches = learner.batchesPerEpoch();
            List<String> expected = new ArrayList<>(List.of("beforeFit", "beforeEpoch", "beforeTrain"));
            for (int i = 0; i < trainBatches; i++) {
                expected.addAll(List.of("beforeBatch", "afterPred", "afterLoss", "afterStep", "afterBatch"));
            }
            expected.addAll(List.of("afterTrain", "beforeValidate"));
            for (int i = 0; i < (data.valid().size() + 7) / 8; i++) {
                expected.addAll(List.of("beforeBatch/valid", "afterPred/valid", "afterLoss/valid", "afterBatch/valid"));
            }
            expected.addAll(List.of("afterValidate", "afterEpoch", "afterFit"));
            assertThat(events.seen).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void cancellingTheFitStopsAfterTheStepAndCountsNoEpoch() {
        Events events = new Events();
        Callback stopAfterTwo = new Callback() {
            @Override
            public void afterBatch(TrainingView v) {
                if (v.training() && v.trainIteration() == 2) {
                    throw new CancelException(CancelException.Scope.FIT, "two steps are enough");
                }
            }
        };
        try (Learner learner = small(stopAfterTwo, events).build()) {
            assertThat(learner.fitOneCycle(3, LearningRates.of(1e-3))).isEmpty();
            assertThat(learner.steps()).hasSize(2);
            assertThat(learner.epochsDone()).isZero();
            assertThat(learner.history()).isEmpty();
            // every callback saw the batch the cancel came from, then the fit ended
            assertThat(events.seen.subList(events.seen.size() - 2, events.seen.size()))
                .containsExactly("afterBatch", "afterFit");
        }
    }

    @Test
    void cancellingEveryBatchBeforeItsStepLeavesTheWeightsAlone() {
        Callback noStep = new Callback() {
            @Override
            public void afterLoss(TrainingView v) {
                if (v.training()) {
                    throw new CancelException(CancelException.Scope.BATCH, "look, do not touch");
                }
            }
        };
        try (Learner learner = small(noStep).build()) {
            learner.freeze();
            Map<String, Tensor> before = learner.block().readWeights();
            List<EpochResult> r = learner.fitOneCycle(1, LearningRates.of(1e-2));
            Map<String, Tensor> after = learner.block().readWeights();
            for (String name : before.keySet()) {
                if (!name.contains("running_")) { // forward in training mode still moves BatchNorm's statistics
                    assertThat(Arrays.equals(after.get(name).toFloatArray(), before.get(name).toFloatArray()))
                        .as(name).isTrue();
                }
            }
            assertThat(r).hasSize(1);
            assertThat(r.get(0).trainImages()).isZero();
            assertThat(r.get(0).trainLoss()).isNaN();
        }
    }

    @Test
    void cancellingTheTrainingPartStillValidates() {
        Callback oneStep = new Callback() {
            @Override
            public void afterStep(TrainingView v) {
                throw new CancelException(CancelException.Scope.TRAIN, "one step per epoch");
            }
        };
        try (Learner learner = small(oneStep).build()) {
            List<EpochResult> r = learner.fitOneCycle(2, LearningRates.of(1e-3));
            assertThat(r).hasSize(2);
            assertThat(learner.steps()).hasSize(2);
            assertThat(r.get(1).validLoss()).isFinite();
            assertThat(r.get(1).trainImages()).isEqualTo(8);
        }
    }

    @Test
    void theRecorderKeepsWhatTheLoopUsedAndTheTableShowed() {
        Recorder recorder = new Recorder();
        StringWriter text = new StringWriter();
        try (Learner learner = small(recorder, EpochTable.printingTo(new PrintWriter(text))).build()) {
            learner.lrFind(1e-5, 1, 6); // left out of the recorder: its weights are thrown away
            List<EpochResult> rows = learner.fineTune(1, 2e-3, 1);
            int perEpoch = learner.batchesPerEpoch();
            List<Step> steps = learner.steps().subList(learner.steps().size() - 2 * perEpoch, learner.steps().size());
            assertThat(recorder.losses()).hasSize(2 * perEpoch);
            for (int i = 0; i < steps.size(); i++) {
                assertThat(recorder.lrs().get(i)).containsExactly(steps.get(i).lr());
                assertThat(recorder.moms().get(i)).containsExactly(steps.get(i).mom());
            }
            // fastai's AvgSmoothLoss: debiased EMA with beta 0.98 over each fit's raw losses
            double avg = 0;
            for (int i = 0; i < perEpoch; i++) {
                avg = 0.98 * avg + 0.02 * recorder.losses().get(perEpoch + i);
                assertThat(recorder.smoothLosses().get(perEpoch + i))
                    .isCloseTo(avg / (1 - Math.pow(0.98, i + 1)), within(1e-12));
            }
            assertThat(recorder.metricNames()).containsExactly("accuracy", "error_rate");
            assertThat(recorder.epochs()).hasSize(2);
            for (int e = 0; e < 2; e++) {
                Recorder.EpochRecord rec = recorder.epochs().get(e);
                assertThat(rec.fit()).isEqualTo(e);
                assertThat(rec.steps()).isEqualTo((e + 1) * perEpoch);
                assertThat(rec.validLoss()).isEqualTo(rows.get(e).validLoss());
                assertThat(rec.metrics()).containsExactly(rows.get(e).metric(), rows.get(e).secondMetric());
                assertThat(recorder.smoothLosses().get((e + 1) * perEpoch - 1)).isEqualTo(rows.get(e).trainLoss());
            }
            List<String> lines = text.toString().lines().toList();
            assertThat(lines).hasSize(4); // a header and a row per fit of fine_tune, nothing for lr_find
            assertThat(lines.get(0)).isEqualTo("epoch   train_loss  valid_loss  accuracy        error_rate  time  ");
            assertThat(lines.get(1)).isEqualTo(EpochTable.row(rows.get(0)));
        }
    }

    @Test
    void theTableKeepsItsColumns() {
        EpochResult r = new EpochResult(3, 0.5, 0.25, 0.875, 0.125, 61.4, 50, 100, 1, 40, 9);
        assertThat(EpochTable.row(r)).isEqualTo("3       0.500000    0.250000    0.875000        0.125000    01:01");
        EpochResult regression = new EpochResult(0, 2, 1, Double.NaN, Double.NaN, 5, 4, 10, 1, 2, 1);
        assertThat(EpochTable.header(List.of())).isEqualTo("epoch   train_loss  valid_loss  time  ");
        assertThat(EpochTable.row(regression)).isEqualTo("0       2.000000    1.000000    00:05");
    }

    // ---- the example of docs/callbacks.md --------------------------------------------------------------------------

    /** Ends training once validation accuracy reaches a target; the epoch that reached it is still checkpointed. */
    static final class StopAtAccuracy implements Callback {
        private final double target;

        StopAtAccuracy(double target) {
            this.target = target;
        }

        @Override
        public void afterEpoch(TrainingView v) {
            EpochResult r = v.epochResult();
            if (r != null && r.metric() >= target) {
                throw new CancelException(CancelException.Scope.FIT, "accuracy " + r.metric() + " reached");
            }
        }
    }

    @Test
    void theDocumentedExampleStopsAndStillCheckpoints() {
        Path run = tmp.resolve("run");
        try (Learner learner = Learner.builder(data)
                .setNetwork(VisionModel.builder().setArch("resnet18").setClasses(3).build())
                .optSize(32).optBatchSize(8).optWorkers(1)
                .addCallbacks(new StopAtAccuracy(0.0), EpochTable.printingTo(System.out),
                    Checkpointing.open(run, null))
                .build()) {
            learner.fitOneCycle(5, LearningRates.of(1e-3));
            assertThat(learner.epochsDone()).isEqualTo(1);
        }
        assertThat(dev.graft.models.checkpoint.Checkpoint.read(run).epochsDone()).isEqualTo(1);
    }
}
