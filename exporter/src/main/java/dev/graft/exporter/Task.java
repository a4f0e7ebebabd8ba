package dev.graft.exporter;

import dev.graft.models.GraftException;

/**
 * What the model's outputs mean, which decides the default final activation and how an application reads the result.
 *
 * <p>The network spec cannot tell these apart: fastai's single-label and multi-label classifiers have the same layers
 * and differ only in the loss they were trained with. The caller knows, and the exported file must say so.
 */
public enum Task {
    /** One class per image: softmax, then argmax. */
    SINGLE_LABEL("single_label"),
    /** Any number of classes per image: sigmoid, then a threshold per class. */
    MULTI_LABEL("multi_label"),
    /** Numbers, not classes: the network's output as it is (a y_range's SigmoidRange included). */
    REGRESSION("regression");

    private final String metadataValue;

    Task(String metadataValue) {
        this.metadataValue = metadataValue;
    }

    /** The value written under {@link GraftMetadata#TASK}. */
    public String metadataValue() {
        return metadataValue;
    }

    /** The activation {@link Activation#AUTO} stands for with this task. */
    public Activation defaultActivation() {
        return switch (this) {
            case SINGLE_LABEL -> Activation.SOFTMAX;
            case MULTI_LABEL -> Activation.SIGMOID;
            case REGRESSION -> Activation.NONE;
        };
    }

    /**
     * The task a {@link GraftMetadata#TASK} value names.
     *
     * @throws GraftException if the value is not one this version knows
     */
    public static Task fromMetadata(String value) {
        for (Task t : values()) {
            if (t.metadataValue.equals(value)) {
                return t;
            }
        }
        throw new GraftException("unknown task '" + value + "'; expected single_label, multi_label or regression");
    }
}
