package dev.graft.models.checkpoint;

import dev.graft.models.GraftException;
import java.util.Locale;

/**
 * What a model predicts, which decides its loss, its activation and how its outputs become labels.
 *
 * <p>Single-label: cross-entropy, softmax, argmax. Multi-label: binary cross-entropy on logits, sigmoid, every label
 * above a threshold. Regression: mean squared error, values as they are (a head's y_range bounds them).
 */
public enum Task {
    SINGLE_LABEL,
    MULTI_LABEL,
    REGRESSION;

    /** The lower-case name used in files and ONNX metadata: {@code single_label}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Task fromId(String id) {
        for (Task t : values()) {
            if (t.id().equals(id)) {
                return t;
            }
        }
        throw new GraftException("unknown task '" + id + "' (single_label, multi_label or regression)");
    }
}
