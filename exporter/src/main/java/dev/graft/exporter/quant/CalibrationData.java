package dev.graft.exporter.quant;

/**
 * Preprocessed inputs that calibration runs the float32 model on, one image at a time by index.
 *
 * <p>An interface so that calibration does not care where images come from: {@link ImageFolder#calibration} reads a
 * folder through the model's own preprocessing, and a caller with tensors already in model space (a test, an
 * application with its own pipeline) can hand those over. Values must be what the exported model's input receives:
 * resized and normalised, CHW.
 */
public interface CalibrationData {
    /** How many images there are. */
    int size();

    /** Channels per image; must match the model's input. */
    int channels();

    int height();

    int width();

    /**
     * Writes image {@code index} (0-based) as CHW floats at {@code dst[offset ..]}, {@code channels * height * width}
     * values.
     *
     * @throws dev.graft.models.GraftException if the image cannot be read
     */
    void read(int index, float[] dst, int offset);

    /** A short description for the export report and the model's metadata, such as {@code 256 images from data/train}. */
    String describe();
}
