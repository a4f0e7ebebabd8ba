package dev.graft.trainer.learner;

/**
 * A validation metric: a {@link Callback} that accumulates over the validation batches (resetting itself in
 * {@link Callback#beforeValidate}) and gives its value after the last one; the learner reads {@link #value()} before
 * {@link Callback#afterValidate} and puts it in {@link Validation} and the epoch table.
 */
public interface Metric extends Callback {
    /** The column name, as fastai prints it (accuracy, error_rate, ...). */
    String name();

    /** The value over the validation batches seen since the last reset; NaN when there were none. */
    double value();
}
