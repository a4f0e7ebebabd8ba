package dev.graft.exporter;

/**
 * How an application must bring an image to the training size; fastai's {@code ResizeMethod}.
 *
 * <p>The exported graph accepts any image size, so resizing is the application's job, and doing it differently from
 * training (squishing an image the model only ever saw cropped) costs accuracy silently. The method therefore travels
 * in the file's metadata.
 */
public enum ResizeMethod {
    /** Scale the short side to the size, then cut the centre (fastai's default). */
    CROP("crop"),
    /** Scale each side to the size independently, changing the aspect ratio. */
    SQUISH("squish"),
    /** Scale the long side to the size, then pad the short side. */
    PAD("pad");

    private final String metadataValue;

    ResizeMethod(String metadataValue) {
        this.metadataValue = metadataValue;
    }

    /** The value written under {@link GraftMetadata#INPUT_RESIZE}. */
    public String metadataValue() {
        return metadataValue;
    }
}
