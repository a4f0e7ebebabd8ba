package dev.graft.trainer.learner;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * fastai's {@code Recorder}: what a training report draws. Per training step: the raw loss, the smoothed loss
 * (fastai's AvgSmoothLoss: exponential moving average, beta 0.98, debiased; the epoch table's train_loss) and the
 * learning rate and momentum of every layer group actually used. Per validated epoch: the validation loss and the
 * metrics, with the number of steps recorded by then, so validation can be drawn against the training curve.
 *
 * <p>Unlike fastai's, it keeps every fit it sees (both phases of fine_tune) and leaves lr_find's sweeps out (their
 * weights are thrown away; {@link LrFinder} keeps that curve). It lives in memory: a resumed run records from where it
 * resumed.
 */
public final class Recorder implements Callback {
    /** One validated epoch: the fit it belongs to (0, 1, ... in this recorder), its row, and the steps before it. */
    public record EpochRecord(int fit, int epoch, int steps, double validLoss, List<Double> metrics) {
    }

    private final List<Double> losses = new ArrayList<>();
    private final List<Double> smoothLosses = new ArrayList<>();
    private final List<double[]> lrs = new ArrayList<>();
    private final List<double[]> moms = new ArrayList<>();
    private final List<EpochRecord> epochs = new ArrayList<>();
    private List<String> metricNames = List.of();
    private int fits = -1;
    private List<Double> metrics = List.of();

    @Override
    public void beforeFit(TrainingView v) {
        if (v.validates()) {
            fits++;
            metricNames = v.metricNames();
        }
    }

    @Override
    public void afterBatch(TrainingView v) {
        if (v.training() && v.validates()) {
            losses.add(v.loss());
            smoothLosses.add(v.smoothLoss());
            Step s = v.step();
            lrs.add(s.lr());
            moms.add(s.mom());
        }
    }

    @Override
    public void afterValidate(TrainingView v) {
        metrics = v.validation().metrics();
    }

    @Override
    public void afterEpoch(TrainingView v) {
        EpochResult r = v.epochResult();
        if (r != null) {
            epochs.add(new EpochRecord(fits, r.epoch(), losses.size(), r.validLoss(), metrics));
        }
    }

    /** The raw training loss of every step. */
    public List<Double> losses() {
        return Collections.unmodifiableList(losses);
    }

    /** The smoothed training loss after every step. */
    public List<Double> smoothLosses() {
        return Collections.unmodifiableList(smoothLosses);
    }

    /** The learning rate of every layer group at every step (copies). */
    public List<double[]> lrs() {
        return lrs.stream().map(double[]::clone).toList();
    }

    /** The momentum (Adam's beta1) of every layer group at every step (copies). */
    public List<double[]> moms() {
        return moms.stream().map(double[]::clone).toList();
    }

    /** Every validated epoch in order. */
    public List<EpochRecord> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    /** The names of {@link EpochRecord#metrics()}, in order. */
    public List<String> metricNames() {
        return metricNames;
    }
}
