package dev.graft.trainer.learner;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.files.InputFiles;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.checkpoint.TrainingState;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.AugmentConfig;
import dev.graft.trainer.data.Batch;
import dev.graft.trainer.data.DataLoader;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.ImageTransforms;
import dev.graft.trainer.data.Normalization;
import dev.graft.trainer.data.Seeds;
import dev.graft.trainer.data.Split;
import dev.graft.trainer.model.NetworkBlock;
import dev.graft.trainer.schedule.LearningRates;
import dev.graft.trainer.schedule.LrFinderMath;
import dev.graft.trainer.schedule.OneCycle;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * fastai's {@code Learner} for a body + head {@link Network}: trains it on an {@link ImageDataset} with fastai's Adam,
 * one-cycle schedules, discriminative learning rates per layer group and train_bn freezing, and writes a
 * {@link Checkpoint} at every epoch end.
 *
 * <p>The loop is manual (a gradient collector around forward, loss and backward, then {@link Adam#step}) because
 * fastai sets a learning rate and a momentum per group at every step. Every batch runs in its own sub-manager, closed
 * with the batch, so native memory stays flat however long training runs. Not thread-safe; close it to free the
 * weights and the loaders' threads.
 *
 * <p>Every checkpoint carries the training state too (see {@link #trainingState()}): Adam's moving averages and step
 * counts, the loss smoother, the frozen groups and the last step's per-group settings, and the full epoch history.
 * What is random in a run is drawn from (seed, epoch, item) and carries nothing over between epochs, so the epoch count
 * is the random generators' whole position. A run resumed from the checkpoint after epoch k therefore takes exactly
 * the steps of an uninterrupted one: on the same machine and thread count it ends with bit-identical weights.
 */
public final class Learner implements AutoCloseable {
    /** fastai's multi-label decision threshold (accuracy_multi's thresh). */
    public static final double THRESHOLD = 0.5;

    /** What marks a training state as this class's, and the names of Adam's arrays in it. */
    static final String STATE_KIND = "graft-learner";
    static final String GRAD_AVG = "/grad_avg";
    static final String SQR_AVG = "/sqr_avg";

    private final Network network;
    private final ImageDataset dataset;
    private final Task task;
    private final List<String> labels;
    private final int size;
    private final NDManager manager;
    private final NetworkBlock block;
    private final Adam adam;
    private final DataLoader train;
    private final DataLoader valid;
    private final boolean freezeBatchNorm;
    private final boolean progress;
    private final PrintStream out;
    private final CheckpointWriter writer;
    private final ObjectNode runInfo;
    private final List<Step> steps = new ArrayList<>();
    private final List<EpochResult> history = new ArrayList<>();
    private int frozenBelow;
    private int epochsDone;
    private final long seed;
    private final double wd;
    /** Graft names of the parameters registered with Adam, in registration order. */
    private final List<String> optimised = new ArrayList<>();
    /** The train-loss smoother of the cycle in progress, and one restored from a checkpoint for the next cycle. */
    private LrFinderMath.SmoothLoss smooth;
    private LrFinderMath.SmoothLoss resumedSmooth;
    private Step lastStep;

    /** The learning rate and momentum of each layer group at one optimiser step, as the schedule set them. */
    public record Step(double[] lr, double[] mom) {
    }

    /**
     * One line of the epoch table. {@code metric} is accuracy (single-label), accuracy_multi, or NaN (regression);
     * {@code secondMetric} is error_rate (single-label), F1 (multi-label, fastai's F1ScoreMulti: macro average over
     * labels at the 0.5 threshold) or NaN;
     * {@code seconds} is the whole epoch, {@code trainSeconds} its training part and {@code trainImages} the images
     * trained on (so throughput is {@code trainImages / trainSeconds}). Where the training part went:
     * {@code dataSeconds} waiting for the loader's next batch, {@code modelSeconds} in forward, loss and backward,
     * {@code optimiserSeconds} in Adam's steps (what is left is bookkeeping and the progress bar).
     */
    public record EpochResult(int epoch, double trainLoss, double validLoss, double metric, double secondMetric,
                              double seconds, double trainSeconds, int trainImages, double dataSeconds,
                              double modelSeconds, double optimiserSeconds) {
        /** Training images per second in this epoch, validation excluded. */
        public double imagesPerSecond() {
            return trainImages / trainSeconds;
        }
    }

    /** Validation loss and metrics: accuracy and error_rate, or accuracy_multi and macro F1; NaN for regression. */
    public record Validation(double loss, double metric, double secondMetric) {
    }

    /**
     * Validation predictions: {@code probabilities} per image (softmax for single-label, sigmoid for multi-label, raw
     * values for regression) and {@code targets} per image (the class index as one value for single-label).
     */
    public record Preds(float[][] probabilities, float[][] targets) {
    }

    /** lr_find's outcome: the learning rates and smoothed losses of the sweep, and the valley suggestion. */
    public record LrFind(List<Double> lrs, List<Double> losses, double valley) {
    }

    private Learner(Builder b) {
        ImageDataset data = Objects.requireNonNull(b.dataset, "dataset");
        // the lock first: a resume then reads a checkpoint that no other process is replacing
        this.writer = b.runDir == null ? null : CheckpointWriter.open(b.runDir);
        Network net = b.network;
        Map<String, Tensor> weights = b.weights;
        int done = 0;
        RunFolder.Snapshot resumed = null;
        try {
            if (b.resume != null) {
                resumed = RunFolder.read(b.resume);
                Checkpoint c = resumed.checkpoint();
                net = c.network();
                weights = c.weights();
                done = c.epochsDone();
                if (c.task() != data.task() || !c.labels().equals(data.classes())) {
                    throw new GraftException("checkpoint " + b.resume + " was trained on " + c.task().id() + " "
                        + c.labels() + ", not on " + data.task().id() + " " + data.classes());
                }
            }
            if (net == null) {
                throw new GraftException("the learner needs a network (or a checkpoint to resume from)");
            }
        } catch (RuntimeException e) {
            closeWriter();
            throw e;
        }
        this.network = net;
        this.dataset = data;
        this.task = data.task();
        this.labels = data.classes();
        this.size = b.size;
        this.freezeBatchNorm = b.freezeBatchNorm;
        this.progress = b.progress;
        this.out = b.out;
        this.runInfo = b.runInfo;
        this.epochsDone = done;
        this.seed = b.seed;
        this.wd = b.wd;
        this.manager = NDManager.newBaseManager();
        try {
            this.block = new NetworkBlock(network, b.seed);
            block.initialize(manager, size, size, weights);
            if (b.bodyWeights != null && b.resume == null) {
                block.updateWeights(b.bodyWeights);
            }
            this.adam = new Adam(Adam.SQR_MOM, Adam.EPS, b.wd);
            for (Node n : network.nodes()) {
                int group = network.groupOf(n.id());
                boolean bn = n.layer() instanceof Layer.BatchNorm;
                for (Param p : n.layer().params()) {
                    if (p.learnable()) {
                        adam.add(block.parameter(n.paramName(p)), group, !bn && !p.name().equals("bias"));
                        optimised.add(n.paramName(p));
                    }
                }
            }
            ImageTransforms t = new ImageTransforms(b.augment.withSize(size), Normalization.IMAGENET);
            this.train = DataLoader.builder(data, Split.TRAIN).transforms(t).batchSize(b.batchSize)
                .workers(b.workers).seed(b.seed).maxImageBytes(b.maxImageBytes).build();
            this.valid = DataLoader.builder(data, Split.VALID).transforms(t).batchSize(b.batchSize)
                .workers(b.workers).seed(b.seed).maxImageBytes(b.maxImageBytes).build();
            if (resumed != null) {
                restore(resumed, b.resume);
            }
        } catch (RuntimeException e) {
            manager.close();
            closeWriter();
            throw e;
        }
    }

    private void closeWriter() {
        if (writer != null) {
            writer.close();
        }
    }

    /** Takes over a checkpoint's history and, when it has one, its training state (see {@link #trainingState()}). */
    private void restore(RunFolder.Snapshot resumed, Path from) {
        for (JsonNode h : resumed.checkpoint().info().path("history")) {
            history.add(new EpochResult(h.path("epoch").asInt(), h.path("train_loss").asDouble(Double.NaN),
                h.path("valid_loss").asDouble(Double.NaN), h.path("metric").asDouble(Double.NaN),
                h.path("second_metric").asDouble(Double.NaN), h.path("seconds").asDouble(Double.NaN),
                h.path("train_seconds").asDouble(Double.NaN), h.path("train_images").asInt(0),
                h.path("data_seconds").asDouble(Double.NaN), h.path("model_seconds").asDouble(Double.NaN),
                h.path("optimiser_seconds").asDouble(Double.NaN)));
        }
        TrainingState state = resumed.state();
        if (state == null || !STATE_KIND.equals(state.json().path("kind").asText())) {
            return; // written by an older Graft, or by another writer: Adam starts afresh
        }
        JsonNode json = state.json();
        if (json.path("epochs_done").asInt(-1) != epochsDone) {
            throw new GraftException("the training state in " + from + " does not belong to its checkpoint "
                + "(epochs done differ)");
        }
        JsonNode steps = json.path("optimizer_steps");
        List<Adam.SlotState> slots = new ArrayList<>();
        for (String name : optimised) {
            Tensor avg = state.tensors().get(name + GRAD_AVG);
            Tensor sqr = state.tensors().get(name + SQR_AVG);
            int step = steps.path(name).asInt(0);
            if (step > 0 && (avg == null || sqr == null)) {
                throw new GraftException("the training state in " + from + " lacks the optimiser state of " + name);
            }
            slots.add(new Adam.SlotState(step, avg == null ? null : avg.toFloatArray(),
                sqr == null ? null : sqr.toFloatArray()));
        }
        try {
            adam.restore(slots);
        } catch (IllegalArgumentException e) {
            throw new GraftException("the training state in " + from + " does not fit the network: " + e.getMessage());
        }
        JsonNode sm = json.path("smooth_loss");
        if (sm.has("count")) {
            resumedSmooth = new LrFinderMath.SmoothLoss(sm.path("beta").asDouble(), sm.path("average").asDouble(),
                sm.path("count").asInt());
        }
        JsonNode last = json.path("last_step");
        if (last.path("lr").isArray() && last.path("mom").isArray()) {
            lastStep = new Step(doubles(last.get("lr")), doubles(last.get("mom")));
        }
        int below = json.path("frozen_below").asInt(0);
        if (below > 0) {
            freezeTo(below);
        }
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    public static Builder builder(ImageDataset dataset) {
        return new Builder(dataset);
    }

    // ---- freezing ----------------------------------------------------------------------------------------------

    /** fastai's freeze(): only the last layer group (the head) trains, BatchNorm aside unless freezeBatchNorm. */
    public void freeze() {
        freezeTo(-1);
    }

    /** fastai's unfreeze(): every group trains. */
    public void unfreeze() {
        freezeTo(0);
    }

    /**
     * fastai's freeze_to(n): groups before {@code n} (counted from the end when negative) get no gradient and no
     * update, so their weights stay bit-identical. With train_bn (the default) their BatchNorm weight and bias still
     * train and their running statistics still update; with {@code freezeBatchNorm} those BatchNorm layers are frozen
     * too and run in evaluation mode, leaving the running statistics as they are.
     */
    public void freezeTo(int n) {
        int groups = network.groups().size();
        int below = n < 0 ? groups + n : n;
        if (below < 0 || below >= groups) {
            throw new GraftException("freeze_to(" + n + ") is out of range for " + groups + " layer groups");
        }
        frozenBelow = below;
        List<String> evalBn = new ArrayList<>();
        for (Node node : network.nodes()) {
            boolean frozenGroup = network.groupOf(node.id()) < below;
            boolean bn = node.layer() instanceof Layer.BatchNorm;
            if (bn && frozenGroup && freezeBatchNorm) {
                evalBn.add(node.id());
            }
            for (Param p : node.layer().params()) {
                if (p.learnable()) {
                    boolean frozen = frozenGroup && (!bn || freezeBatchNorm);
                    block.parameter(node.paramName(p)).freeze(frozen);
                }
            }
        }
        block.setEvalBatchNorm(evalBn);
    }

    /** The first layer group that trains (0 when unfrozen). */
    public int frozenBelow() {
        return frozenBelow;
    }

    // ---- training ----------------------------------------------------------------------------------------------

    /** fastai's fit_one_cycle with the default schedule (div 25, pct_start 0.25, moms 0.95/0.85/0.95). */
    public List<EpochResult> fitOneCycle(int epochs, LearningRates lr) {
        return fitOneCycle(epochs, lr, OneCycle.defaults(), 0);
    }

    /**
     * Trains {@code epochs} epochs with one one-cycle schedule; group g peaks at {@code lr.perGroup(groups)[g]}.
     * {@code startEpoch} skips the schedule's first epochs (fastai's start_epoch, for a resumed run).
     */
    public List<EpochResult> fitOneCycle(int epochs, LearningRates lr, OneCycle cycle, int startEpoch) {
        if (epochs < 1) {
            throw new GraftException("train at least one epoch, not " + epochs);
        }
        if (startEpoch < 0 || startEpoch >= epochs) {
            throw new GraftException("start epoch " + startEpoch + " must be in [0, " + epochs + ")");
        }
        double[] lrMax = lr.perGroup(network.groups().size());
        int perEpoch = train.batchCount();
        double total = (double) epochs * perEpoch;
        List<EpochResult> results = new ArrayList<>();
        // a resumed cycle continues its smoother, so its train_loss column matches an uninterrupted run's
        LrFinderMath.SmoothLoss smooth = startEpoch > 0 && resumedSmooth != null ? resumedSmooth
            : new LrFinderMath.SmoothLoss(0.98);
        resumedSmooth = null;
        this.smooth = smooth;
        printHeader();
        for (int e = startEpoch; e < epochs; e++) {
            long t0 = System.nanoTime();
            final int epoch = e;
            double trainLoss = trainEpoch(epochsDone, batch -> {
                double pos = (epoch * perEpoch + batch) / total;
                double[] l = new double[lrMax.length];
                double[] m = new double[lrMax.length];
                for (int g = 0; g < l.length; g++) {
                    l[g] = cycle.lr(lrMax[g], Math.min(pos, 1.0));
                    m[g] = cycle.mom(Math.min(pos, 1.0));
                }
                return new Step(l, m);
            }, smooth, -1);
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            int images = lastEpochImages;
            long[] parts = lastEpochNanos.clone();
            Validation v = validate();
            epochsDone++;
            EpochResult r = new EpochResult(e, trainLoss, v.loss(), v.metric(), v.secondMetric(),
                (System.nanoTime() - t0) / 1e9, trainSeconds, images, parts[0] / 1e9, parts[1] / 1e9, parts[2] / 1e9);
            results.add(r);
            history.add(r);
            printRow(r);
            if (writer != null) {
                writer.write(this);
            }
        }
        return results;
    }

    /**
     * fastai's fine_tune: freeze, one cycle of {@code freezeEpochs} at slice(baseLr) with pct_start 0.99; then halve
     * baseLr, unfreeze, and one cycle of {@code epochs} at slice(baseLr / 100, baseLr) with pct_start 0.3 and div 5.
     */
    public List<EpochResult> fineTune(int epochs, double baseLr, int freezeEpochs) {
        return fineTune(epochs, baseLr, freezeEpochs, 100, 0);
    }

    /**
     * fastai's fine_tune with its {@code lr_mult} (the unfrozen phase runs at slice(baseLr / 2 / lrMult, baseLr / 2);
     * 1 trains every group at the same rate, which suits a body that starts from random initialisation), from epoch
     * {@code startEpoch} of the whole run (the frozen epochs count first), so a resumed run picks up the schedule where
     * its last checkpoint left it.
     */
    public List<EpochResult> fineTune(int epochs, double baseLr, int freezeEpochs, double lrMult, int startEpoch) {
        if (epochs < 1 || freezeEpochs < 0) {
            throw new GraftException("fine_tune needs at least one epoch and no negative frozen epochs, got "
                + epochs + " and " + freezeEpochs);
        }
        if (!(lrMult >= 1)) {
            throw new GraftException("lr_mult must be at least 1, got " + lrMult);
        }
        if (startEpoch < 0 || startEpoch >= epochs + freezeEpochs) {
            throw new GraftException("start epoch " + startEpoch + " must be in [0, " + (epochs + freezeEpochs) + ")");
        }
        List<EpochResult> all = new ArrayList<>();
        if (freezeEpochs > 0 && startEpoch < freezeEpochs) {
            freeze();
            all.addAll(fitOneCycle(freezeEpochs, LearningRates.slice(baseLr), OneCycle.defaults().withPctStart(0.99),
                startEpoch));
        }
        double lr = baseLr / 2;
        unfreeze();
        all.addAll(fitOneCycle(epochs, LearningRates.slice(lr / lrMult, lr),
            OneCycle.defaults().withPctStart(0.3).withDiv(5), Math.max(0, startEpoch - freezeEpochs)));
        return all;
    }

    /** fastai's defaults: base_lr 2e-3, one frozen epoch. */
    public List<EpochResult> fineTune(int epochs) {
        return fineTune(epochs, 2e-3, 1);
    }

    /** What sets lr and mom for batch i of an epoch. */
    private interface Schedule {
        Step at(int batch);
    }

    /** Called after each step with the raw loss; true stops the epoch (lr_find). */
    private interface StepListener {
        boolean after(double loss, double smoothed);
    }

    private StepListener listener;

    private int lastEpochImages;

    /** Nanoseconds of the last trained epoch spent waiting for data, in the model, and in the optimiser. */
    private final long[] lastEpochNanos = new long[3];

    private double trainEpoch(int epochNumber, Schedule schedule, LrFinderMath.SmoothLoss smooth, int maxSteps) {
        double last = Double.NaN;
        int done = 0;
        lastEpochImages = 0;
        Arrays.fill(lastEpochNanos, 0);
        // Dropout draws from PyTorch's global generator: seeding it per epoch makes the masks depend on (seed, epoch)
        // alone, not on what ran before (an lr_find, another learner), so a seeded run repeats.
        Engine.getInstance().setRandomSeed(Seeds.forDropout(seed, epochNumber));
        try (DataLoader.Epoch ep = train.epoch(epochNumber); ProgressBar bar = progressBar(epochNumber)) {
            Iterator<Batch> batches = ep.iterator();
            while (true) {
                long waiting = System.nanoTime();
                if (!batches.hasNext()) {
                    break;
                }
                Batch b = batches.next();
                long model = System.nanoTime();
                lastEpochNanos[0] += model - waiting;
                Step s = schedule.at(b.index());
                steps.add(s);
                lastStep = s;
                double loss;
                try (NDManager bm = manager.newSubManager()) {
                    NDArray x = bm.create(b.images(), new Shape(b.n(), b.c(), b.h(), b.w()));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray y = block.forward(new ParameterStore(bm, false), new NDList(x), true)
                            .singletonOrThrow();
                        NDArray l = loss(bm, y, b);
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    long optimiser = System.nanoTime();
                    lastEpochNanos[1] += optimiser - model;
                    adam.step(s.lr(), s.mom());
                    lastEpochNanos[2] += System.nanoTime() - optimiser;
                }
                last = smooth.add(loss);
                done++;
                lastEpochImages += b.n();
                if (bar != null) {
                    bar.step();
                    bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", last));
                }
                if (listener != null && listener.after(loss, last)) {
                    break;
                }
                if (maxSteps > 0 && done >= maxSteps) {
                    break;
                }
            }
        }
        return last;
    }

    private ProgressBar progressBar(int epoch) {
        if (!progress) {
            return null;
        }
        return new ProgressBarBuilder().setTaskName("epoch " + epoch).setInitialMax(train.batchCount())
            .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250).build();
    }

    /** fastai's loss for the task: cross-entropy, BCE on logits, or MSE; averaged over the batch (and labels). */
    private NDArray loss(NDManager bm, NDArray y, Batch b) {
        if (task == Task.SINGLE_LABEL) {
            int classes = (int) y.getShape().get(1);
            float[] oneHot = new float[b.n() * classes];
            int[] idx = b.classIndices();
            for (int i = 0; i < b.n(); i++) {
                oneHot[i * classes + idx[i]] = 1;
            }
            NDArray t = bm.create(oneHot, new Shape(b.n(), classes));
            return y.logSoftmax(1).mul(t).sum(new int[] {1}).neg().mean();
        }
        NDArray t = bm.create(b.targets(), y.getShape());
        if (task == Task.MULTI_LABEL) {
            // max(x, 0) - x t + log(1 + exp(-|x|)): PyTorch's numerically stable BCEWithLogits
            return y.maximum(0).sub(y.mul(t)).add(y.abs().neg().exp().add(1).log()).mean();
        }
        return y.sub(t).square().mean();
    }

    // ---- validation and predictions ----------------------------------------------------------------------------

    /** Validation loss and metric, the network in evaluation mode (running BatchNorm statistics, no dropout). */
    public Validation validate() {
        double lossSum = 0;
        long n = 0;
        long correct = 0;
        long total = 0;
        long[] tp = new long[labels.size()];
        long[] fp = new long[labels.size()];
        long[] fn = new long[labels.size()];
        try (DataLoader.Epoch ep = valid.epoch(0)) {
            for (Batch b : ep) {
                try (NDManager bm = manager.newSubManager()) {
                    NDArray x = bm.create(b.images(), new Shape(b.n(), b.c(), b.h(), b.w()));
                    NDArray y = block.forward(new ParameterStore(bm, false), new NDList(x), false).singletonOrThrow();
                    lossSum += loss(bm, y, b).getFloat() * b.n();
                    n += b.n();
                    float[] out = y.toFloatArray();
                    int k = (int) y.getShape().get(1);
                    if (task == Task.SINGLE_LABEL) {
                        int[] idx = b.classIndices();
                        for (int i = 0; i < b.n(); i++) {
                            correct += argmax(out, i * k, k) == idx[i] ? 1 : 0;
                        }
                        total += b.n();
                    } else if (task == Task.MULTI_LABEL) {
                        float[] t = b.targets();
                        for (int i = 0; i < out.length; i++) {
                            boolean predicted = sigmoid(out[i]) > THRESHOLD;
                            boolean actual = t[i] > 0.5f;
                            correct += predicted == actual ? 1 : 0;
                            int label = i % k;
                            tp[label] += predicted && actual ? 1 : 0;
                            fp[label] += predicted && !actual ? 1 : 0;
                            fn[label] += !predicted && actual ? 1 : 0;
                        }
                        total += out.length;
                    }
                }
            }
        }
        if (n == 0) {
            throw new GraftException("the validation set is empty");
        }
        double metric = total == 0 ? Double.NaN : (double) correct / total;
        double second = switch (task) {
            case SINGLE_LABEL -> 1 - metric;
            case MULTI_LABEL -> macroF1(tp, fp, fn);
            case REGRESSION -> Double.NaN;
        };
        return new Validation(lossSum / n, metric, second);
    }

    /** scikit-learn's f1_score(average='macro'), which fastai's F1ScoreMulti calls: a label never predicted nor
     * present scores 0. */
    static double macroF1(long[] tp, long[] fp, long[] fn) {
        double sum = 0;
        for (int j = 0; j < tp.length; j++) {
            long denominator = 2 * tp[j] + fp[j] + fn[j];
            sum += denominator == 0 ? 0 : 2.0 * tp[j] / denominator;
        }
        return tp.length == 0 ? Double.NaN : sum / tp.length;
    }

    /** fastai's get_preds on the validation set: activations applied (softmax, sigmoid, none for regression). */
    public Preds getPreds() {
        List<float[]> probs = new ArrayList<>();
        List<float[]> targets = new ArrayList<>();
        try (DataLoader.Epoch ep = valid.epoch(0)) {
            for (Batch b : ep) {
                try (NDManager bm = manager.newSubManager()) {
                    NDArray x = bm.create(b.images(), new Shape(b.n(), b.c(), b.h(), b.w()));
                    NDArray y = block.forward(new ParameterStore(bm, false), new NDList(x), false).singletonOrThrow();
                    NDArray p = switch (task) {
                        case SINGLE_LABEL -> y.softmax(1);
                        case MULTI_LABEL -> y.getNDArrayInternal().sigmoid();
                        case REGRESSION -> y;
                    };
                    float[] out = p.toFloatArray();
                    int k = (int) y.getShape().get(1);
                    for (int i = 0; i < b.n(); i++) {
                        probs.add(java.util.Arrays.copyOfRange(out, i * k, (i + 1) * k));
                        if (task == Task.SINGLE_LABEL) {
                            targets.add(new float[] {b.classIndices()[i]});
                        } else {
                            int w = b.targetWidth();
                            targets.add(java.util.Arrays.copyOfRange(b.targets(), i * w, (i + 1) * w));
                        }
                    }
                }
            }
        }
        return new Preds(probs.toArray(new float[0][]), targets.toArray(new float[0][]));
    }

    // ---- lr_find -----------------------------------------------------------------------------------------------

    /**
     * fastai's lr_find: an exponential sweep of one learning rate for every group from {@code startLr} to
     * {@code endLr} over {@code numIt} steps (momentum 0.9), stopping once the smoothed loss passes 4x its best;
     * suggests the valley. The weights (and BatchNorm statistics) are restored and Adam's state reset afterwards.
     */
    public LrFind lrFind(double startLr, double endLr, int numIt) {
        Map<String, Tensor> saved = block.readWeights();
        List<Double> lrs = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        double[] best = {Double.POSITIVE_INFINITY};
        int groups = network.groups().size();
        int[] it = {0};
        LrFinderMath.SmoothLoss smooth = new LrFinderMath.SmoothLoss(0.98);
        boolean[] stop = {false};
        listener = (loss, smoothed) -> {
            losses.add(smoothed);
            if (smoothed < best[0]) {
                best[0] = smoothed;
            }
            it[0]++;
            stop[0] = smoothed > 4 * best[0] || Double.isNaN(smoothed) || it[0] >= numIt;
            return stop[0];
        };
        try {
            for (int e = 0; !stop[0]; e++) {
                trainEpoch(e, batch -> {
                    double lr = LrFinderMath.sweep(startLr, endLr, (double) it[0] / numIt);
                    lrs.add(lr);
                    double[] l = new double[groups];
                    double[] m = new double[groups];
                    java.util.Arrays.fill(l, lr);
                    java.util.Arrays.fill(m, 0.9);
                    return new Step(l, m);
                }, smooth, -1);
            }
        } finally {
            listener = null;
            block.loadWeights(saved);
            adam.reset();
        }
        int from = numIt / 10;
        int to = Math.max(from + 1, losses.size() - 5);
        List<Double> window = losses.subList(Math.min(from, losses.size() - 1), Math.min(to, losses.size()));
        int idx = LrFinderMath.valley(window) + Math.min(from, losses.size() - 1);
        return new LrFind(List.copyOf(lrs.subList(0, losses.size())), List.copyOf(losses), lrs.get(idx));
    }

    /** lr_find with fastai's defaults: 1e-7 to 10 over 100 steps. */
    public LrFind lrFind() {
        return lrFind(1e-7, 10, 100);
    }

    // ---- checkpoints -------------------------------------------------------------------------------------------

    /**
     * The current state as a checkpoint: weights, task, labels, ImageNet preprocessing at the training size, and in
     * its info the full epoch history and the run's options.
     */
    public Checkpoint checkpoint() {
        ObjectNode info = JsonNodeFactory.instance.objectNode();
        ArrayNode h = info.putArray("history");
        for (EpochResult r : history) {
            h.addObject().put("epoch", r.epoch()).put("train_loss", r.trainLoss()).put("valid_loss", r.validLoss())
                .put("metric", r.metric()).put("second_metric", r.secondMetric()).put("seconds", r.seconds())
                .put("train_seconds", r.trainSeconds()).put("train_images", r.trainImages())
                .put("data_seconds", r.dataSeconds()).put("model_seconds", r.modelSeconds())
                .put("optimiser_seconds", r.optimiserSeconds());
        }
        info.put("frozen_below", frozenBelow);
        if (runInfo != null) {
            info.set("run", runInfo.deepCopy());
        }
        return new Checkpoint(network, block.readWeights(), task, labels, Preprocessing.imagenet(size, size),
            THRESHOLD, epochsDone, info);
    }

    /**
     * Everything the rest of the run depends on besides the weights, saved with every checkpoint: Adam's step count
     * and moving averages per parameter (arrays {@code <name>/grad_avg} and {@code <name>/sqr_avg}), the train-loss
     * smoother, the frozen groups, the seed, weight decay and train_bn setting, and the last step's per-group learning
     * rates and momentums. The schedule's position is the epoch count; shuffling, augmentation and dropout are drawn
     * from (seed, epoch, item), so the epoch count is their position too.
     */
    public TrainingState trainingState() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("kind", STATE_KIND);
        json.put("epochs_done", epochsDone);
        json.put("seed", seed);
        json.put("random", "shuffling, augmentation and dropout are drawn from (seed, epoch, item): epoch "
            + epochsDone + " is next");
        json.put("weight_decay", wd);
        json.put("freeze_bn", freezeBatchNorm);
        json.put("frozen_below", frozenBelow);
        if (lastStep != null) {
            ObjectNode last = json.putObject("last_step");
            ArrayNode lr = last.putArray("lr");
            Arrays.stream(lastStep.lr()).forEach(lr::add);
            ArrayNode mom = last.putArray("mom");
            Arrays.stream(lastStep.mom()).forEach(mom::add);
        }
        LrFinderMath.SmoothLoss current = smooth != null ? smooth : resumedSmooth;
        if (current != null) {
            json.putObject("smooth_loss").put("beta", current.beta()).put("average", current.average())
                .put("count", current.count());
        }
        ObjectNode steps = json.putObject("optimizer_steps");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<Adam.SlotState> state = adam.state();
        for (int i = 0; i < state.size(); i++) {
            Adam.SlotState st = state.get(i);
            String name = optimised.get(i);
            if (st.step() > 0) {
                steps.put(name, st.step());
            }
            if (st.gradAvg() != null) {
                long[] shape = block.parameter(name).getArray().getShape().getShape();
                tensors.put(name + GRAD_AVG, Tensor.ofFloats(shape, st.gradAvg()));
                tensors.put(name + SQR_AVG, Tensor.ofFloats(shape, st.sqrAvg()));
            }
        }
        return new TrainingState(json, tensors);
    }

    // ---- output ------------------------------------------------------------------------------------------------

    private String metricName() {
        return switch (task) {
            case SINGLE_LABEL -> "accuracy";
            case MULTI_LABEL -> "accuracy_multi";
            case REGRESSION -> "";
        };
    }

    private String secondMetricName() {
        return switch (task) {
            case SINGLE_LABEL -> "error_rate";
            case MULTI_LABEL -> "f1_multi";
            case REGRESSION -> "";
        };
    }

    private void printHeader() {
        if (out == null) {
            return;
        }
        String m = metricName();
        String m2 = secondMetricName();
        out.println(String.format(Locale.ROOT, "%-6s  %-10s  %-10s  %s%s%-6s", "epoch", "train_loss", "valid_loss",
            m.isEmpty() ? "" : String.format(Locale.ROOT, "%-14s  ", m),
            m2.isEmpty() ? "" : String.format(Locale.ROOT, "%-10s  ", m2), "time"));
    }

    private void printRow(EpochResult r) {
        if (out == null) {
            return;
        }
        long secs = Math.round(r.seconds());
        String time = String.format(Locale.ROOT, "%02d:%02d", secs / 60, secs % 60);
        String metric = Double.isNaN(r.metric()) ? "" : String.format(Locale.ROOT, "%-14.6f  ", r.metric());
        String second = Double.isNaN(r.secondMetric()) ? "" : String.format(Locale.ROOT, "%-10.6f  ",
            r.secondMetric());
        out.println(String.format(Locale.ROOT, "%-6d  %-10.6f  %-10.6f  %s%s%s", r.epoch(), r.trainLoss(),
            r.validLoss(), metric, second, time));
        out.flush();
    }

    private static int argmax(float[] a, int from, int k) {
        int best = 0;
        for (int j = 1; j < k; j++) {
            if (a[from + j] > a[from + best]) {
                best = j;
            }
        }
        return best;
    }

    private static double sigmoid(float x) {
        return 1 / (1 + Math.exp(-x));
    }

    // ---- accessors ---------------------------------------------------------------------------------------------

    /** Where training runs: DJL's default device, a CUDA GPU when DJL finds one, otherwise the CPU. */
    public ai.djl.Device device() {
        return manager.getDevice();
    }

    public NetworkBlock block() {
        return block;
    }

    public Network network() {
        return network;
    }

    public ImageDataset dataset() {
        return dataset;
    }

    public int epochsDone() {
        return epochsDone;
    }

    /** Every optimiser step's per-group learning rate and momentum, in order (lr_find's included). */
    public List<Step> steps() {
        return Collections.unmodifiableList(steps);
    }

    /** Every epoch trained by this learner. */
    public List<EpochResult> history() {
        return Collections.unmodifiableList(history);
    }

    /**
     * The native arrays this learner holds right now (parameters and buffers, the folded weights of frozen
     * convolution + BatchNorm pairs, the optimiser's state on a GPU, and anything a step failed to free). After the
     * first step it must stay constant from epoch to epoch: growth is a leak.
     */
    public int liveArrays() {
        return manager.getManagedArrays().size();
    }

    /** Training batches per epoch. */
    public int batchesPerEpoch() {
        return train.batchCount();
    }

    @Override
    public void close() {
        try {
            train.close();
            valid.close();
        } finally {
            manager.close();
            closeWriter();
        }
    }

    /** Options, with fastai's defaults where fastai has one. */
    public static final class Builder {
        private final ImageDataset dataset;
        private Network network;
        private Map<String, Tensor> weights;
        private Map<String, Tensor> bodyWeights;
        private Path resume;
        private int size = 224;
        private int batchSize = 64;
        private int workers = 2;
        private long maxImageBytes = InputFiles.DEFAULT_MAX_IMAGE_BYTES;
        private long seed = 42;
        private double wd = Adam.WD;
        private boolean freezeBatchNorm;
        private boolean progress = true;
        private PrintStream out = System.out;
        private Path runDir;
        private ObjectNode runInfo;
        private AugmentConfig augment = AugmentConfig.defaults();

        private Builder(ImageDataset dataset) {
            this.dataset = dataset;
        }

        /** The network to train (from VisionModel). */
        public Builder network(Network n) {
            this.network = n;
            return this;
        }

        /** Starting weights (pretrained body, say); Graft's seeded initialisation otherwise. Subset not allowed. */
        public Builder weights(Map<String, Tensor> w) {
            this.weights = w;
            return this;
        }

        /**
         * Pretrained body weights by Graft name (what {@code WeightLoader.load(network, file, LoadMode.BODY)} returns);
         * the head keeps its fastai initialisation. Ignored when resuming.
         */
        public Builder bodyWeights(Map<String, Tensor> w) {
            this.bodyWeights = w;
            return this;
        }

        /**
         * Continue from a checkpoint folder: its network, weights, epochs done, history and training state. With the
         * seed, weight decay and {@link #freezeBatchNorm} it was trained with, the continued run takes exactly the
         * steps an uninterrupted one would; other values are allowed (for predictions, say) but make another run.
         */
        public Builder resume(Path checkpointDir) {
            this.resume = checkpointDir;
            return this;
        }

        public Builder size(int s) {
            if (s < 16) {
                throw new GraftException("image size must be at least 16, got " + s);
            }
            this.size = s;
            return this;
        }

        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        /** The largest image file the loaders read, in bytes (default 64 MiB); see {@link DataLoader.Builder#maxImageBytes}. */
        public Builder maxImageBytes(long bytes) {
            this.maxImageBytes = bytes;
            return this;
        }

        /** Seeds the initial weights, the shuffling, the augmentation and dropout: the same seed repeats a run. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder weightDecay(double w) {
            this.wd = w;
            return this;
        }

        /** Also freeze BatchNorm in frozen groups and run it in evaluation mode (fastai's train_bn=False). */
        public Builder freezeBatchNorm(boolean b) {
            this.freezeBatchNorm = b;
            return this;
        }

        /** Progress bars on stderr (off for tests and logs). */
        public Builder progress(boolean b) {
            this.progress = b;
            return this;
        }

        /** Where the epoch table goes; null for none. */
        public Builder out(PrintStream p) {
            this.out = p;
            return this;
        }

        /**
         * Checkpoints are committed here at every epoch end ({@link CheckpointWriter}); null for none. The folder is
         * locked from {@link #build} until the learner is closed.
         */
        public Builder runDir(Path dir) {
            this.runDir = dir;
            return this;
        }

        /** How the run was started (the command's options), saved in every checkpoint's info under "run". */
        public Builder runInfo(ObjectNode info) {
            this.runInfo = info;
            return this;
        }

        /** Training augmentation (fastai's aug_transforms by default); its size is replaced by {@link #size}. */
        public Builder augment(AugmentConfig a) {
            this.augment = Objects.requireNonNull(a, "augment");
            return this;
        }

        public Learner build() {
            return new Learner(this);
        }
    }
}
