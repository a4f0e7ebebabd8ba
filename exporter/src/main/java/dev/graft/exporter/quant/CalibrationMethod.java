package dev.graft.exporter.quant;

import dev.graft.models.GraftException;
import java.util.Locale;

/**
 * How the range of an activation is chosen from what calibration saw.
 *
 * <p>Every value outside the range is clipped, every value inside is rounded to one of 256 steps: a wide range
 * keeps rare large activations and rounds everything else coarsely, a narrow one does the opposite. Which trade is
 * best depends on the model, so the choice is the user's, and the export report shows what it cost.
 */
public enum CalibrationMethod {
    /** The smallest and largest value seen: nothing is clipped, outliers widen the steps. */
    MINMAX("minmax"),
    /**
     * Clips the rarest {@value ActivationStats#PERCENTILE_TAIL} fraction of magnitudes (the 99.999th percentile of
     * |x|), which removes single outliers at a negligible clipping cost.
     */
    PERCENTILE("percentile"),
    /**
     * The clipping threshold whose quantised histogram is closest to the real one in Kullback-Leibler divergence
     * (TensorRT's entropy calibration), searched over 2048-bin histograms of |x|.
     */
    ENTROPY("entropy");

    /** The method used unless another is asked for. */
    public static final CalibrationMethod DEFAULT = PERCENTILE;

    private final String id;

    CalibrationMethod(String id) {
        this.id = id;
    }

    /** The lower-case name used on the command line and in the metadata. */
    public String id() {
        return id;
    }

    /**
     * The method named {@code text}.
     *
     * @throws GraftException for an unknown name
     */
    public static CalibrationMethod parse(String text) {
        for (CalibrationMethod m : values()) {
            if (m.id.equals(text.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new GraftException("the calibration method must be minmax, percentile or entropy, not '" + text + "'");
    }
}
