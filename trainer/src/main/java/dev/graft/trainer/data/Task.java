package dev.graft.trainer.data;

/**
 * What a model predicts for an image; it decides the shape of the targets a {@link Batch} carries and, downstream,
 * the loss and the metrics.
 */
public enum Task {
    /** One class per image: targets are class indices (cross-entropy). */
    SINGLE_LABEL,
    /** Any subset of the classes per image: targets are multi-hot vectors (binary cross-entropy). */
    MULTI_LABEL,
    /** One number per image: targets are float values (mean squared error). */
    REGRESSION
}
