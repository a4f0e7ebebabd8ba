package dev.graft.exporter.quant;

/**
 * Told how far a long step of a lower-precision export has got (calibration runs the model over hundreds of images,
 * the report times and evaluates two models), so that a command line can show progress.
 */
@FunctionalInterface
public interface QuantProgress {
    /** Reports nothing. */
    QuantProgress NONE = (stage, done, total) -> { };

    /**
     * @param stage what is being done, such as {@code calibrating}
     * @param done units finished (images, runs)
     * @param total units in this stage
     */
    void update(String stage, int done, int total);
}
