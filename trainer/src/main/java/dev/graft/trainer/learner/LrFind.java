package dev.graft.trainer.learner;

import java.util.List;

/** lr_find's outcome: the learning rates and smoothed losses of the sweep, and the valley suggestion. */
public record LrFind(List<Double> lrs, List<Double> losses, double valley) {
}
