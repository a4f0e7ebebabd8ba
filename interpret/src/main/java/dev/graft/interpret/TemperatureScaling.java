package dev.graft.interpret;

/**
 * Temperature scaling (Guo et al. 2017): the single T that minimises the mean negative log-likelihood of
 * softmax(logits / T) on labelled data. Dividing every logit by one positive number never changes the argmax, so the
 * model's decisions stay as they were and only its confidence moves.
 *
 * <p>The NLL is convex in b = 1/T (log-sum-exp of a linear function minus a linear function) and its derivative,
 * mean(E_p[z] - z_true), increases with b; bisection on that derivative finds the minimum to machine precision
 * without step sizes to tune. T is kept within [{@value #MIN_TEMPERATURE}, {@value #MAX_TEMPERATURE}]: on a
 * calibration set the model separates perfectly the NLL keeps falling as T goes to 0 (every probability goes to 1),
 * and the fit stops at the bound and says so.
 */
public final class TemperatureScaling {
    /** The smallest temperature fitted (sharpening by 20x at most). */
    public static final double MIN_TEMPERATURE = 0.05;
    /** The largest temperature fitted (softening by 20x at most). */
    public static final double MAX_TEMPERATURE = 20;

    private TemperatureScaling() {
    }

    /** The fitted temperature, whether a bound stopped it, and the NLL before (T = 1) and after. */
    public record Fit(double temperature, boolean clamped, String note, double nllBefore, double nllAfter,
                      double eceBefore, double eceAfter, int images) {
    }

    /**
     * Fits T on rows of logits and their true classes.
     *
     * @throws InterpretException if there are no rows, or a logit is NaN or infinite
     */
    public static Fit fit(float[][] logits, int[] labels) {
        if (logits.length == 0) {
            throw new InterpretException("temperature scaling needs at least one labelled image");
        }
        for (float[] row : logits) {
            for (float z : row) {
                if (!Float.isFinite(z)) {
                    throw new InterpretException("the model gave a NaN or infinite logit; cannot fit a temperature");
                }
            }
        }
        double lo = 1 / MAX_TEMPERATURE;
        double hi = 1 / MIN_TEMPERATURE;
        double b;
        boolean clamped = false;
        String note = "";
        double atLo = derivative(logits, labels, lo);
        double atHi = derivative(logits, labels, hi);
        if (atLo >= 0 && atHi <= 0) {
            // constant rows: every temperature gives the same likelihood
            b = 1;
            note = "the likelihood does not depend on T on these images (each row's logits are equal); T is 1";
        } else if (atHi <= 0) {
            // still falling (or flat to double precision) at the smallest T: the set is separated
            b = hi;
            clamped = true;
            note = "the calibration images are separated so well that the likelihood keeps rising as T falls towards 0;"
                    + " T is clamped at " + MIN_TEMPERATURE;
        } else if (atLo >= 0) {
            b = lo;
            clamped = true;
            note = "the model is so wrong on the calibration images that T would grow past " + MAX_TEMPERATURE
                    + "; T is clamped there";
        } else {
            for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
                double mid = 0.5 * (lo + hi);
                if (derivative(logits, labels, mid) > 0) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            b = 0.5 * (lo + hi);
        }
        double t = 1 / b;
        return new Fit(t, clamped, note, nll(logits, labels, 1), nll(logits, labels, b),
                Reliability.eceOfLogits(logits, labels, 1), Reliability.eceOfLogits(logits, labels, t), logits.length);
    }

    /** Mean NLL of softmax(b * logits). */
    static double nll(float[][] logits, int[] labels, double b) {
        double s = 0;
        for (int i = 0; i < logits.length; i++) {
            float[] z = logits[i];
            double max = Double.NEGATIVE_INFINITY;
            for (float v : z) {
                max = Math.max(max, b * v);
            }
            double sum = 0;
            for (float v : z) {
                sum += Math.exp(b * v - max);
            }
            s += max + Math.log(sum) - b * z[labels[i]];
        }
        return s / logits.length;
    }

    /** d NLL / d b = mean(E_softmax(b z)[z] - z_true). */
    static double derivative(float[][] logits, int[] labels, double b) {
        double s = 0;
        for (int i = 0; i < logits.length; i++) {
            double[] p = Softmax.of(logits[i], b);
            double expected = 0;
            for (int k = 0; k < p.length; k++) {
                expected += p[k] * logits[i][k];
            }
            s += expected - logits[i][labels[i]];
        }
        return s / logits.length;
    }
}
