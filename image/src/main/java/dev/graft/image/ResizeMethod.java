package dev.graft.image;

import java.util.Locale;

/**
 * How an image is brought to the model's input size; the value of {@code graft.input.resize} (fastai's
 * {@code ResizeMethod}). Resizing differently from training silently costs accuracy, hence it travels in the model.
 */
public enum ResizeMethod {
    /** Scale the short side to the size and cut the centre (fastai's default). */
    CROP("crop"),
    /** Scale each side independently, changing the aspect ratio. */
    SQUISH("squish"),
    /** Scale the long side to the size and fill the rest by reflecting the image (fastai's reflection padding). */
    PAD("pad");

    private final String metadataValue;

    ResizeMethod(String metadataValue) {
        this.metadataValue = metadataValue;
    }

    public String metadataValue() {
        return metadataValue;
    }

    /**
     * The method a {@code graft.input.resize} value names.
     *
     * @throws ImageException for an unknown value
     */
    public static ResizeMethod fromMetadata(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (ResizeMethod m : values()) {
            if (m.metadataValue.equals(v)) {
                return m;
            }
        }
        throw new ImageException("unknown graft.input.resize '" + value + "'; expected crop, squish or pad");
    }
}
