package dev.graft.trainer.learner;

import ai.djl.ndarray.NDArray;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.checkpoint.TrainingState;
import dev.graft.trainer.data.Batch;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What a {@link Callback} sees of the loop: read-only to callbacks (only the learner, in this package, moves it on),
 * so that a progress bar or a recorder cannot change what is trained. Values that belong to a later event are NaN or
 * null before it (the loss before {@link Callback#afterLoss}, say).
 */
public final class TrainingView {
    private final Learner learner;
    private final Task task;
    private final List<String> labels;
    private final List<String> metricNames;
    boolean training;
    boolean validates;
    int epoch;
    int epochs;
    int dataEpoch;
    int iteration;
    int iterations;
    int trainIteration;
    Batch batch;
    NDArray pred;
    private float[] output;
    double loss = Double.NaN;
    double smoothLoss = Double.NaN;
    Step step;
    Validation validation;
    EpochResult epochResult;

    TrainingView(Learner learner, Task task, List<String> labels, List<String> metricNames) {
        this.learner = learner;
        this.metricNames = List.copyOf(metricNames);
        this.task = task;
        this.labels = List.copyOf(labels);
    }

    /** Runs {@code event} for every callback; see {@link #fire(List, BiConsumer, boolean)}. */
    void fire(List<Callback> cbs, BiConsumer<Callback, TrainingView> event) {
        fire(cbs, event, false);
    }

    /**
     * Runs {@code event} for every callback in order, so that a cancel from one does not keep the others from seeing
     * the event (a checkpoint after the epoch that reached its target, say); the first cancel is then rethrown, unless
     * {@code ignoreCancel} (after the fit, nothing is left to cancel). Any other exception leaves at once.
     */
    void fire(List<Callback> cbs, BiConsumer<Callback, TrainingView> event, boolean ignoreCancel) {
        CancelException cancel = null;
        for (Callback cb : cbs) {
            try {
                event.accept(cb, this);
            } catch (CancelException c) {
                cancel = cancel != null ? cancel : c;
            }
        }
        if (cancel != null && !ignoreCancel) {
            throw cancel;
        }
    }

    /** Starts a fit: whether it validates, its epochs and the training batches per epoch. */
    void startFit(boolean validating, int epochCount, int batchesPerEpoch) {
        validates = validating;
        epochs = epochCount;
        iterations = batchesPerEpoch;
        trainIteration = 0;
        validation = null;
        smoothLoss = Double.NaN;
    }

    /** Starts epoch {@code e} of the schedule, drawing its data with {@code data}. */
    void startEpoch(int e, int data) {
        epoch = e;
        dataEpoch = data;
        epochResult = null;
    }

    /** Starts a batch: forgets the previous batch's output and loss. */
    void batch(Batch b, int index) {
        batch = b;
        iteration = index;
        pred = null;
        output = null;
        loss = Double.NaN;
    }

    public Task task() {
        return task;
    }

    /** The class names (label names for multi-label; empty for regression). */
    public List<String> labels() {
        return labels;
    }

    /** Names of the metrics in {@link Validation} order (accuracy, error_rate; accuracy_multi, f1_multi). */
    public List<String> metricNames() {
        return metricNames;
    }

    /** True in the training part of an epoch, false in validation. */
    public boolean training() {
        return training;
    }

    /** Whether this fit validates and counts its epochs; false during lr_find, whose weights are thrown away. */
    public boolean validates() {
        return validates;
    }

    /**
     * The epoch of the schedule being trained, counted as in the epoch table (each phase of fine_tune counts from 0;
     * a resumed fit from where it resumed); lr_find counts its passes over the data.
     */
    public int epoch() {
        return epoch;
    }

    /**
     * The epoch number shuffling, augmentation and dropout are drawn with: the epochs done before this one in a fit,
     * the pass over the data in lr_find. The progress bar shows it.
     */
    public int dataEpoch() {
        return dataEpoch;
    }

    /** Epochs of the schedule of this fit (lr_find: {@link Integer#MAX_VALUE}, it ends by cancelling). */
    public int epochs() {
        return epochs;
    }

    /** Epochs this learner has completed, checkpointed runs included. */
    public int epochsDone() {
        return learner.epochsDone();
    }

    /** Index of the current batch within the training or validation part of the epoch. */
    public int iteration() {
        return iteration;
    }

    /** Training batches per epoch (assuming every image is readable). */
    public int iterations() {
        return iterations;
    }

    /** Optimiser steps taken in this fit so far, the current one included once it has stepped. */
    public int trainIteration() {
        return trainIteration;
    }

    /** The current batch; its arrays belong to the loop: read them, never write. */
    public Batch batch() {
        return batch;
    }

    /** Images in the current batch. */
    public int batchSize() {
        return batch == null ? 0 : batch.n();
    }

    /**
     * The model's raw output for the current batch (logits; one row of {@link #outputWidth()} values per image),
     * copied from the engine on first use, from {@link Callback#afterPred} to {@link Callback#afterBatch}.
     */
    public float[] output() {
        if (output == null && pred != null) {
            output = pred.toFloatArray();
        }
        return output;
    }

    /** Values per image in {@link #output()}. */
    public int outputWidth() {
        return pred == null ? 0 : (int) pred.getShape().get(1);
    }

    /** The engine array of the output, for the predictions gatherer; closed with the batch. */
    NDArray pred() {
        return pred;
    }

    /** The current batch's loss (mean over the batch), from {@link Callback#afterLoss}. */
    public double loss() {
        return loss;
    }

    /**
     * The training loss smoothed as fastai's recorder does (exponential moving average, beta 0.98, debiased) up to
     * the last finished training batch: the epoch table's train_loss. A resumed fit continues its run's smoother.
     */
    public double smoothLoss() {
        return smoothLoss;
    }

    /** The learning rate and momentum per layer group used for the current (or last) training step. */
    public Step step() {
        return step == null ? null : new Step(step.lr().clone(), step.mom().clone()); // a copy: the optimiser uses it
    }

    /** The last validation's loss and metrics, from {@link Callback#afterValidate}; null before. */
    public Validation validation() {
        return validation;
    }

    /** The row of the epoch just finished, in {@link Callback#afterEpoch} of a validating fit; null otherwise. */
    public EpochResult epochResult() {
        return epochResult;
    }

    /** Every epoch this learner has trained, checkpointed runs included. */
    public List<EpochResult> history() {
        return learner.history();
    }

    /** Layer groups of the network (learning rates and momentums come one per group). */
    public int groups() {
        return learner.network().groups().size();
    }

    /** A snapshot of the weights and history as a checkpoint (see {@link Learner#checkpoint()}). */
    public Checkpoint checkpoint() {
        return learner.checkpoint();
    }

    /** A snapshot of the optimiser and loop state (see {@link Learner#trainingState()}). */
    public TrainingState trainingState() {
        return learner.trainingState();
    }
}
