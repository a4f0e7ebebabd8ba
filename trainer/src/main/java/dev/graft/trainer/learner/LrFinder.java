package dev.graft.trainer.learner;

import dev.graft.models.GraftException;
import dev.graft.trainer.schedule.LrFinderMath;
import java.util.ArrayList;
import java.util.List;

/**
 * lr_find's recorder, fastai's {@code LRFinder} callback without the schedule (the learner's sweep sets the rates):
 * keeps each step's learning rate and smoothed loss and ends the sweep once the smoothed loss passes 4x its best, turns
 * NaN, or the sweep has taken its steps.
 */
public final class LrFinder implements Callback {
    private final int steps;
    private final List<Double> lrs = new ArrayList<>();
    private final List<Double> losses = new ArrayList<>();
    private double best = Double.POSITIVE_INFINITY;

    /** Stops the fit after {@code steps} steps at the latest. */
    public LrFinder(int steps) {
        if (steps < 1) {
            throw new GraftException("lr_find needs at least one step, not " + steps);
        }
        this.steps = steps;
    }

    @Override
    public void afterBatch(TrainingView v) {
        if (!v.training()) {
            return;
        }
        double smoothed = v.smoothLoss();
        lrs.add(v.step().lr()[0]);
        losses.add(smoothed);
        if (smoothed < best) {
            best = smoothed;
        }
        if (smoothed > 4 * best || Double.isNaN(smoothed) || losses.size() >= steps) {
            throw new CancelException(CancelException.Scope.FIT, "lr_find has its curve");
        }
    }

    /** The curve so far and fastai's valley suggestion, skipping the first tenth and the last five steps. */
    public LrFind result() {
        if (losses.isEmpty()) {
            throw new GraftException("lr_find took no step; nothing to suggest from");
        }
        int from = steps / 10;
        int to = Math.max(from + 1, losses.size() - 5);
        List<Double> window = losses.subList(Math.min(from, losses.size() - 1), Math.min(to, losses.size()));
        int idx = LrFinderMath.valley(window) + Math.min(from, losses.size() - 1);
        return new LrFind(List.copyOf(lrs), List.copyOf(losses), lrs.get(idx));
    }
}
