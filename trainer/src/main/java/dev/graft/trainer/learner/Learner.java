package dev.graft.trainer.learner;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.checkpoint.TrainingState;
import dev.graft.models.spec.Network;
import dev.graft.trainer.data.Batch;
import dev.graft.trainer.data.DataLoader;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.Seeds;
import dev.graft.trainer.model.NetworkBlock;
import dev.graft.trainer.schedule.LearningRates;
import dev.graft.trainer.schedule.LrFinderMath;
import dev.graft.trainer.schedule.OneCycle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * fastai's {@code Learner} for a body + head {@link Network}: the training loop and the optimiser step (fastai's Adam,
 * one-cycle schedules, discriminative learning rates per layer group, train_bn freezing). Everything else a run does
 * (the epoch table, the progress bar, checkpoints, lr_find's recorder, the metrics) is a {@link Callback} composed by
 * whoever builds it.
 *
 * <p>The loop is manual (a gradient collector around forward, loss and backward, then {@link Adam#step}) because
 * fastai sets a learning rate and a momentum per group at every step. Every batch runs in its own sub-manager, closed
 * with the batch, so native memory stays flat however long training runs. Not thread-safe; close it to free the
 * weights, the loaders' threads and the callbacks that hold resources.
 * What is random is drawn from (seed, epoch, item), so with {@link #trainingState()} saved next to every checkpoint a
 * run resumed after epoch k takes exactly the steps of an uninterrupted one (bit-identical weights).
 */
public final class Learner implements AutoCloseable {
    /** fastai's multi-label decision threshold (accuracy_multi's thresh). */
    public static final double THRESHOLD = 0.5;

    /** The network, its block and optimiser, the loaders and the options the loop runs with. */
    private final LearnerBuilder.Parts parts;
    private final List<Metric> metrics;
    private final List<Callback> callbacks;
    private final TrainingView view;
    private final List<Step> steps = new ArrayList<>();
    private final List<EpochResult> history = new ArrayList<>();
    private int frozenBelow;
    private int epochsDone;
    /** The train-loss smoother of the cycle in progress, and one restored from a checkpoint for the next cycle. */
    private LrFinderMath.SmoothLoss smooth;
    private LrFinderMath.SmoothLoss resumedSmooth;
    private Step lastStep;
    private int lastEpochImages;
    /** Nanoseconds of the last trained epoch spent waiting for data, in the model, and in the optimiser. */
    private final long[] lastEpochNanos = new long[3];

    /** Takes over the parts {@link LearnerBuilder#build} assembled. */
    Learner(LearnerBuilder.Parts p, List<Metric> metrics, List<Callback> callbacks) {
        this.parts = p;
        this.metrics = List.copyOf(metrics);
        List<Callback> all = new ArrayList<>(metrics);
        all.addAll(callbacks);
        this.callbacks = List.copyOf(all);
        this.view = new TrainingView(this, p.task(), p.labels(), metrics.stream().map(Metric::name).toList());
    }

    /** Continues the checkpointed run {@code resumed} (read from {@code from}): its history and training state. */
    void resume(RunFolder.Snapshot resumed, Path from) {
        epochsDone = resumed.checkpoint().epochsDone();
        history.addAll(TrainingStates.history(resumed.checkpoint().info()));
        TrainingStates.Restored r = TrainingStates.restore(resumed.state(), from, epochsDone, parts);
        if (r != null) {
            resumedSmooth = r.smooth();
            lastStep = r.lastStep();
            if (r.frozenBelow() > 0) {
                freezeTo(r.frozenBelow());
            }
        }
    }

    /** A builder for a learner on {@code dataset}; see {@link LearnerBuilder} for what it needs. */
    public static LearnerBuilder builder(ImageDataset dataset) {
        return new LearnerBuilder(dataset);
    }

    /** fastai's freeze(): only the last layer group (the head) trains, norm layers aside unless freezeBatchNorm. */
    public void freeze() {
        freezeTo(-1);
    }

    /** fastai's unfreeze(): every group trains. */
    public void unfreeze() {
        freezeTo(0);
    }

    /**
     * fastai's freeze_to(n): groups before {@code n} (counted from the end when negative) get no gradient and no
     * update, so their weights stay bit-identical. With train_bn (the default) the weight and bias of their
     * normalisation layers (fastai's norm_types: BatchNorm and LayerNorm, ConvNeXt's included) still train, and the
     * BatchNorm running statistics still update; with {@code freezeBatchNorm} those layers are frozen too and BatchNorm
     * runs in evaluation mode, leaving the running statistics as they are.
     */
    public void freezeTo(int n) {
        frozenBelow = LearnerBuilder.freeze(parts, n);
    }

    /** The first layer group that trains (0 when unfrozen). */
    public int frozenBelow() {
        return frozenBelow;
    }

    /** fastai's fit_one_cycle with the default schedule (div 25, pct_start 0.25, moms 0.95/0.85/0.95). */
    public List<EpochResult> fitOneCycle(int epochs, LearningRates lr) {
        return fitOneCycle(epochs, lr, OneCycle.defaults(), 0);
    }

    /**
     * Trains {@code epochs} epochs with one one-cycle schedule; group g peaks at {@code lr.perGroup(groups)[g]}.
     * {@code startEpoch} skips the schedule's first epochs (fastai's start_epoch, for a resumed run).
     */
    public List<EpochResult> fitOneCycle(int epochs, LearningRates lr, OneCycle cycle, int startEpoch) {
        return Fits.oneCycle(this, epochs, lr, cycle, startEpoch);
    }

    /**
     * fastai's fine_tune: freeze, one cycle of {@code freezeEpochs} at slice(baseLr) with pct_start 0.99; then halve
     * baseLr, unfreeze, and one cycle of {@code epochs} at slice(baseLr / 100, baseLr) with pct_start 0.3 and div 5.
     */
    public List<EpochResult> fineTune(int epochs, double baseLr, int freezeEpochs) {
        return fineTune(epochs, baseLr, freezeEpochs, 100, 0);
    }

    /**
     * fine_tune with fastai's {@code lr_mult} (the unfrozen phase runs at slice(baseLr / 2 / lrMult, baseLr / 2); 1
     * suits a body from random initialisation), from epoch {@code startEpoch} of the whole run, frozen epochs first.
     */
    public List<EpochResult> fineTune(int epochs, double baseLr, int freezeEpochs, double lrMult, int startEpoch) {
        return Fits.fineTune(this, epochs, baseLr, freezeEpochs, lrMult, startEpoch);
    }

    /**
     * fastai's lr_find: an exponential sweep from {@code startLr} to {@code endLr} over at most {@code numIt} steps;
     * the weights and Adam are restored afterwards. Callbacks see it with {@link TrainingView#validates()} false.
     */
    public LrFind lrFind(double startLr, double endLr, int numIt) {
        return Fits.lrFind(this, startLr, endLr, numIt);
    }

    /**
     * Epochs {@code [from, to)} of a schedule. With {@code results} each epoch validates, counts as done and becomes a
     * row; without (lr_find) the data epoch is the pass and the fit ends only when a callback cancels it.
     */
    void fit(int from, int to, Fits.Schedule schedule, LrFinderMath.SmoothLoss smoother, List<Callback> cbs,
             List<EpochResult> results) {
        view.startFit(results != null, to, parts.train().batchCount());
        try {
            view.fire(cbs, Callback::beforeFit);
            for (int e = from; e < to; e++) {
                view.startEpoch(e, results != null ? epochsDone : e);
                view.fire(cbs, Callback::beforeEpoch);
                long t0 = System.nanoTime();
                double trainLoss = trainEpoch(schedule, smoother, cbs);
                if (results != null) {
                    double trainSeconds = (System.nanoTime() - t0) / 1e9;
                    long[] ns = lastEpochNanos.clone();
                    Validation v = runValidation(cbs, true);
                    epochsDone++;
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    EpochResult r = new EpochResult(e, trainLoss, v.loss(), v.metric(), v.secondMetric(), seconds,
                        trainSeconds, lastEpochImages, ns[0] / 1e9, ns[1] / 1e9, ns[2] / 1e9);
                    results.add(r);
                    history.add(r);
                    view.epochResult = r;
                } else if (lastEpochImages == 0) {
                    throw new GraftException("no training image could be read in pass " + e + " of lr_find");
                }
                view.fire(cbs, Callback::afterEpoch);
            }
        } catch (CancelException c) {
            // every scope that reaches here ends the fit; the epoch in progress does not count
        }
        view.fire(cbs, Callback::afterFit, true);
    }

    /** One training pass over {@link TrainingView#dataEpoch()}; returns the last smoothed loss (NaN for none). */
    private double trainEpoch(Fits.Schedule schedule, LrFinderMath.SmoothLoss smoother, List<Callback> cbs) {
        lastEpochImages = 0;
        Arrays.fill(lastEpochNanos, 0);
        view.training = true;
        view.smoothLoss = Double.NaN;
        // Dropout draws from PyTorch's global generator: seeding it per epoch makes the masks depend on (seed, epoch)
        // alone, not on what ran before (an lr_find, another learner), so a seeded run repeats.
        Engine.getInstance().setRandomSeed(Seeds.forDropout(parts.seed(), view.dataEpoch));
        try (DataLoader.Epoch ep = parts.train().epoch(view.dataEpoch)) {
            try {
                view.fire(cbs, Callback::beforeTrain);
                Iterator<Batch> batches = ep.iterator();
                for (long waiting = System.nanoTime(); batches.hasNext(); waiting = System.nanoTime()) {
                    Batch b = batches.next();
                    long model = System.nanoTime();
                    lastEpochNanos[0] += model - waiting;
                    Step s = schedule.at(view.epoch, b.index(), view.trainIteration);
                    steps.add(s);
                    lastStep = s;
                    view.step = s;
                    oneBatch(b, cbs, model, s, smoother);
                }
            } catch (CancelException c) {
                if (c.scope() != CancelException.Scope.TRAIN) {
                    throw c;
                }
            }
            view.fire(cbs, Callback::afterTrain);
        } finally {
            view.training = false;
        }
        return view.smoothLoss;
    }

    /**
     * fastai's _do_one_batch: forward, loss and (training: {@code step} not null) backward, the optimiser step and the
     * smoothed loss, with the batch's events; true unless a callback cancelled the batch before it was done.
     * {@code t0} is when the batch arrived, for the epoch's time split.
     */
    private boolean oneBatch(Batch b, List<Callback> cbs, long t0, Step step, LrFinderMath.SmoothLoss smoother) {
        view.batch(b, b.index());
        boolean done = false;
        try (NDManager bm = parts.manager().newSubManager()) {
            try {
                view.fire(cbs, Callback::beforeBatch);
                NDArray x = bm.create(b.images(), new Shape(b.n(), b.c(), b.h(), b.w()));
                try (GradientCollector gc = step == null ? null : Engine.getInstance().newGradientCollector()) {
                    view.pred = parts.block().forward(new ParameterStore(bm, false), new NDList(x), step != null)
                        .singletonOrThrow();
                    view.fire(cbs, Callback::afterPred);
                    NDArray l = Losses.of(parts.task(), bm, view.pred, b);
                    view.loss = l.getFloat();
                    view.fire(cbs, Callback::afterLoss);
                    done = true;
                    if (gc != null) {
                        gc.backward(l);
                    }
                }
                if (step != null) {
                    long optimiser = System.nanoTime();
                    lastEpochNanos[1] += optimiser - t0;
                    parts.adam().step(step.lr(), step.mom());
                    lastEpochNanos[2] += System.nanoTime() - optimiser;
                    view.trainIteration++;
                    view.smoothLoss = smoother.add(view.loss);
                    lastEpochImages += b.n();
                    view.fire(cbs, Callback::afterStep);
                }
            } catch (CancelException c) {
                if (c.scope() != CancelException.Scope.BATCH) {
                    throw c;
                }
            }
            view.fire(cbs, Callback::afterBatch);
        } finally {
            view.pred = null;
        }
        return done;
    }

    /** A validation pass in evaluation mode (running BatchNorm statistics, no dropout), with {@code cbs}' events. */
    private Validation runValidation(List<Callback> cbs, boolean needsImages) {
        view.training = false;
        view.fire(cbs, Callback::beforeValidate);
        double lossSum = 0;
        long n = 0;
        try (DataLoader.Epoch ep = parts.valid().epoch(0)) {
            for (Batch b : ep) {
                if (oneBatch(b, cbs, 0, null, null)) {
                    lossSum += (float) view.loss * b.n();
                    n += b.n();
                }
            }
        }
        if (n == 0 && needsImages) {
            throw new GraftException("the validation set is empty");
        }
        List<Double> values = metrics.stream().map(Metric::value).toList();
        view.validation = new Validation(n == 0 ? Double.NaN : lossSum / n, values.isEmpty() ? Double.NaN
            : values.get(0), values.size() < 2 ? Double.NaN : values.get(1), values);
        view.fire(cbs, Callback::afterValidate);
        return view.validation;
    }

    /** The smoother of a one-cycle fit from {@code startEpoch}: a resumed cycle continues its run's. */
    LrFinderMath.SmoothLoss startCycle(int startEpoch) {
        smooth = startEpoch > 0 && resumedSmooth != null ? resumedSmooth : new LrFinderMath.SmoothLoss(0.98);
        resumedSmooth = null;
        return smooth;
    }

    /** The metrics, then the callbacks given to the builder. */
    List<Callback> callbacks() {
        return callbacks;
    }

    void resetOptimiser() {
        parts.adam().reset();
    }

    /** Validation loss and metrics now (the metrics' events only). */
    public Validation validate() {
        return runValidation(List.copyOf(metrics), true);
    }

    /** fastai's get_preds on the validation set: activations applied (softmax, sigmoid, none for regression). */
    public Preds getPreds() {
        GatherPreds gather = new GatherPreds();
        runValidation(List.of(gather), false);
        return gather.preds();
    }

    /** The current state as a checkpoint: weights, task, labels, preprocessing, epoch history, frozen groups. */
    public Checkpoint checkpoint() {
        return TrainingStates.checkpoint(parts, history, frozenBelow, epochsDone);
    }

    /** What the rest of the run depends on besides the weights (see {@link TrainingStates#write}). */
    public TrainingState trainingState() {
        return TrainingStates.write(new TrainingStates.Loop(epochsDone, parts.seed(), parts.wd(),
            parts.freezeBatchNorm(), frozenBelow, lastStep, smooth != null ? smooth : resumedSmooth), parts);
    }

    /** Where training runs: DJL's default device, a CUDA GPU when DJL finds one, otherwise the CPU. */
    public ai.djl.Device device() {
        return parts.manager().getDevice();
    }

    public NetworkBlock block() {
        return parts.block();
    }

    public Network network() {
        return parts.network();
    }

    public int epochsDone() {
        return epochsDone;
    }

    /** Every optimiser step's per-group learning rate and momentum, in order (lr_find's included). */
    public List<Step> steps() {
        return Collections.unmodifiableList(steps);
    }

    /** Every epoch trained by this learner, and by the run it resumed. */
    public List<EpochResult> history() {
        return Collections.unmodifiableList(history);
    }

    /** The native arrays this learner holds now: after the first step, growth from epoch to epoch is a leak. */
    public int liveArrays() {
        return parts.manager().getManagedArrays().size();
    }

    /** Training batches per epoch. */
    public int batchesPerEpoch() {
        return parts.train().batchCount();
    }

    @Override
    public void close() {
        try {
            parts.train().close();
            parts.valid().close();
        } finally {
            parts.manager().close();
            LearnerBuilder.closeAll(callbacks);
        }
    }
}
