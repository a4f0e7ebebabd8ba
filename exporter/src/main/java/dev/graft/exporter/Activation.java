package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.models.checkpoint.Task;

import dev.graft.models.GraftException;

/**
 * The function appended after the network's last layer, so that an application gets probabilities without knowing
 * what the model was trained with.
 *
 * <p>fastai keeps the activation in the loss function, so the network spec ends at the logits; an exported model has to
 * add it back, and the choice must match the training loss.
 */
public enum Activation {
    /** The task's natural choice: see {@link #defaultFor(Task)}. */
    AUTO("auto"),
    /** Softmax over the class axis. */
    SOFTMAX("softmax"),
    /** An independent sigmoid per output. */
    SIGMOID("sigmoid"),
    /** Nothing: the output is the network's own. */
    NONE("none");

    private final String metadataValue;

    Activation(String metadataValue) {
        this.metadataValue = metadataValue;
    }

    /** The value written under {@link GraftMetadata#ACTIVATION}; {@link #AUTO} is resolved before anything is written. */
    public String metadataValue() {
        return metadataValue;
    }

    /**
     * The activation a {@link GraftMetadata#ACTIVATION} value names.
     *
     * @throws GraftException if the value is not softmax, sigmoid or none
     */
    public static Activation fromMetadata(String value) {
        for (Activation a : values()) {
            if (a != AUTO && a.metadataValue.equals(value)) {
                return a;
            }
        }
        throw new GraftException("unknown activation '" + value + "'; expected softmax, sigmoid or none");
    }

    /** The activation {@link #AUTO} stands for with this task: softmax, sigmoid, or none for regression. */
    public static Activation defaultFor(Task task) {
        return switch (task) {
            case SINGLE_LABEL -> SOFTMAX;
            case MULTI_LABEL -> SIGMOID;
            case REGRESSION -> NONE;
        };
    }
}
