package dev.graft.trainer.learner;

/**
 * Code that runs at fixed points of the {@link Learner}'s loop, fastai's {@code Callback}: the epoch table, the
 * progress bar, checkpointing, lr_find's recorder and the metrics are callbacks, so what a run prints, saves or
 * measures is chosen by whoever builds the learner, and the loop stays the loop.
 *
 * <p>Every event has a no-op default; override the ones you need. Each receives the same {@link TrainingView}, a
 * read-only view of the loop's state at that point. Callbacks run in the order they were given, after the metrics.
 * The order of events in one fit:
 * <pre>
 * beforeFit
 *   for each epoch: beforeEpoch
 *     beforeTrain, then per batch: beforeBatch, afterPred, afterLoss, afterStep, afterBatch; afterTrain
 *     beforeValidate, then per batch: beforeBatch, afterPred, afterLoss, afterBatch; afterValidate
 *   afterEpoch
 * afterFit
 * </pre>
 * lr_find fires the same events without the validation part. A callback stops part of the loop by throwing a
 * {@link CancelException} (fastai's CancelBatchException, CancelTrainException, CancelFitException); the cancel takes
 * effect once every callback has seen the event it was thrown in, so a checkpoint is still written after the epoch
 * whose {@link #afterEpoch} stopped the fit. A cancel from {@link #afterFit} is ignored. Any other exception ends
 * training at once and reaches the caller. A callback that holds a resource implements {@link AutoCloseable}: the
 * learner closes it with itself.
 */
public interface Callback {
    /** Before the first epoch of a fit (fit_one_cycle, each phase of fine_tune, lr_find). */
    default void beforeFit(TrainingView v) {
    }

    default void beforeEpoch(TrainingView v) {
    }

    /** Before the first training batch of an epoch. */
    default void beforeTrain(TrainingView v) {
    }

    /** A batch has arrived ({@link TrainingView#batch()}); nothing computed yet. Training and validation. */
    default void beforeBatch(TrainingView v) {
    }

    /** The model's output is available ({@link TrainingView#output()}). Training and validation. */
    default void afterPred(TrainingView v) {
    }

    /** The batch's loss is available ({@link TrainingView#loss()}). Training and validation. */
    default void afterLoss(TrainingView v) {
    }

    /** The optimiser has stepped with {@link TrainingView#step()}. Training only. */
    default void afterStep(TrainingView v) {
    }

    /** The end of a batch; in training, {@link TrainingView#smoothLoss()} includes it. */
    default void afterBatch(TrainingView v) {
    }

    /** After the last training batch of an epoch (also after a {@link CancelException.Scope#TRAIN} cancel). */
    default void afterTrain(TrainingView v) {
    }

    default void beforeValidate(TrainingView v) {
    }

    /** Validation loss and metrics are in {@link TrainingView#validation()}. */
    default void afterValidate(TrainingView v) {
    }

    /** After an epoch; when it validated, its row is {@link TrainingView#epochResult()} and it counts as done. */
    default void afterEpoch(TrainingView v) {
    }

    /** After the last epoch of a fit, also when a callback cancelled it. */
    default void afterFit(TrainingView v) {
    }
}
