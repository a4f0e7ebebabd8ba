package dev.graft.trainer.learner;

import java.util.List;

/** Validation loss and every metric's value ({@code metric}, {@code secondMetric}: the first two, or NaN). */
public record Validation(double loss, double metric, double secondMetric, List<Double> metrics) {
}
