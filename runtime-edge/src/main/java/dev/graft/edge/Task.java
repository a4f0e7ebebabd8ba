package dev.graft.edge;

import java.util.Locale;

/**
 * How a model's output is read; the value of the {@code graft.task} metadata key.
 *
 * <p>A copy of the training side's task enum, because runtime-edge must not depend on the modules that train.
 */
public enum Task {
    /** One class per image: the output is a distribution, read as the top-k classes. */
    SINGLE_LABEL("single_label"),
    /** Any number of classes per image: independent probabilities, read against the model's threshold. */
    MULTI_LABEL("multi_label"),
    /** Numbers, not classes: the output is read as values. */
    REGRESSION("regression");

    private final String metadataValue;

    Task(String metadataValue) {
        this.metadataValue = metadataValue;
    }

    /** The value written under {@code graft.task}. */
    public String metadataValue() {
        return metadataValue;
    }

    /**
     * The task a {@code graft.task} value names.
     *
     * @throws EdgeException for an unknown value
     */
    public static Task fromMetadata(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (Task t : values()) {
            if (t.metadataValue.equals(v)) {
                return t;
            }
        }
        throw new EdgeException("unknown graft.task '" + value + "'; expected single_label, multi_label or regression");
    }
}
