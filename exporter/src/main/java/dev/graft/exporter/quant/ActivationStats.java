package dev.graft.exporter.quant;

import dev.graft.models.GraftException;

/**
 * What calibration saw of one activation tensor: its exact minimum and maximum, and a histogram of magnitudes from
 * which {@link CalibrationMethod#PERCENTILE} and {@link CalibrationMethod#ENTROPY} choose a clipping threshold.
 *
 * <p>The histogram has {@value #BINS} bins of equal width over {@code [0, range)}. The range is not known before the
 * first batch and grows as larger values arrive: it doubles, merging neighbouring bins, so one pass over the
 * calibration images suffices and no value is ever dropped. Magnitudes rather than signed values are binned because
 * both methods clip symmetrically (a non-negative tensor, such as anything after a ReLU, is unaffected by that).
 *
 * <p>Not thread-safe; one instance per tensor, fed by one calibration loop.
 */
public final class ActivationStats {
    /** Histogram bins; TensorRT's and ONNX Runtime's entropy calibrators use the same number. */
    public static final int BINS = 2048;
    /** The fraction of magnitudes {@link CalibrationMethod#PERCENTILE} clips: 1e-5, the 99.999th percentile. */
    public static final double PERCENTILE_TAIL = 1e-5;
    /** The smallest clipping threshold {@link CalibrationMethod#ENTROPY} considers, in bins. */
    static final int ENTROPY_START = 128;

    private final String name;
    private final boolean histogram;
    private final long[] bins;
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private long count;
    /** Bin width; 0 until a non-zero value has been seen. */
    private double width;

    /**
     * @param name the tensor's name, for error messages
     * @param histogram whether to keep the histogram (not needed for {@link CalibrationMethod#MINMAX})
     */
    public ActivationStats(String name, boolean histogram) {
        this.name = name;
        this.histogram = histogram;
        this.bins = histogram ? new long[BINS] : null;
    }

    /** The tensor these statistics describe. */
    public String name() {
        return name;
    }

    /** Values seen so far. */
    public long count() {
        return count;
    }

    public double min() {
        return min;
    }

    public double max() {
        return max;
    }

    /**
     * Adds {@code length} values starting at {@code offset}.
     *
     * @throws GraftException if a value is NaN or infinite: such a model cannot be quantised (nor trusted)
     */
    public void add(float[] values, int offset, int length) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        boolean nan = false;
        for (int i = offset, end = offset + length; i < end; i++) {
            float v = values[i];
            nan |= v != v;
            if (v < lo) {
                lo = v;
            }
            if (v > hi) {
                hi = v;
            }
        }
        if (nan || (length > 0 && !(Float.isFinite(lo) && Float.isFinite(hi)))) {
            throw new GraftException("calibration produced a NaN or infinite value in tensor " + name
                    + "; the model's weights or the calibration images are broken");
        }
        if (length == 0) {
            return;
        }
        min = Math.min(min, lo);
        max = Math.max(max, hi);
        count += length;
        if (!histogram) {
            return;
        }
        double absMax = Math.max(Math.abs(lo), Math.abs(hi));
        if (absMax > 0) {
            if (width == 0) {
                width = absMax / BINS;
            }
            while (absMax > width * BINS) {
                for (int i = 0; i < BINS / 2; i++) {
                    bins[i] = bins[2 * i] + bins[2 * i + 1];
                }
                java.util.Arrays.fill(bins, BINS / 2, BINS, 0);
                width *= 2;
            }
        }
        if (width == 0) {
            bins[0] += length;
            return;
        }
        double inverse = 1 / width;
        for (int i = offset, end = offset + length; i < end; i++) {
            int b = (int) (Math.abs(values[i]) * inverse);
            bins[b >= BINS ? BINS - 1 : b]++;
        }
    }

    /**
     * The range to quantise to, {@code [low, high]} with {@code low <= 0 <= high} (zero must be exact, as padding
     * and ReLU produce it).
     *
     * @throws GraftException if nothing was seen
     * @throws IllegalStateException if the method needs the histogram and it was not kept
     */
    public double[] range(CalibrationMethod method) {
        if (count == 0) {
            throw new GraftException("calibration saw no values of tensor " + name);
        }
        double low = Math.min(min, 0);
        double high = Math.max(max, 0);
        if (method == CalibrationMethod.MINMAX || width == 0) {
            return new double[] {low, high};
        }
        if (!histogram) {
            throw new IllegalStateException("the " + method.id() + " method needs the histogram of " + name);
        }
        double threshold = method == CalibrationMethod.PERCENTILE ? percentileThreshold() : entropyThreshold(min >= 0);
        return new double[] {Math.max(low, -threshold), Math.min(high, threshold)};
    }

    /** The upper edge of the bin in which the largest {@link #PERCENTILE_TAIL} of magnitudes begins. */
    double percentileThreshold() {
        double tail = PERCENTILE_TAIL * count;
        long cumulative = 0;
        for (int i = BINS - 1; i >= 0; i--) {
            cumulative += bins[i];
            if (cumulative > tail) {
                return (i + 1) * width;
            }
        }
        return width;
    }

    /**
     * TensorRT's entropy calibration on the magnitude histogram, as NVIDIA's PyTorch quantisation toolkit computes it:
     * for each candidate threshold (a bin edge from bin {@value #ENTROPY_START}), the histogram clipped there (outliers
     * added to the last bin) is compared with its quantised form, the clipped bins merged into as many equal groups as
     * there are levels and spread back evenly over the bins that were non-empty; the threshold with the smallest
     * Kullback-Leibler divergence wins. The first bin (the zeros of a ReLU, half of all values) is replaced by its
     * neighbour's count first: zero is exact in every encoding, and left in, that spike dominates the divergence and
     * drags the threshold down to whatever keeps it in a group of its own.
     *
     * @param nonNegative whether the tensor has no negative values: then all 256 uint8 levels describe the
     *     magnitudes, otherwise half of them do
     */
    double entropyThreshold(boolean nonNegative) {
        int levels = nonNegative ? 256 : 128;
        int last = BINS;
        while (last > 0 && bins[last - 1] == 0) {
            last--;
        }
        if (last <= ENTROPY_START) {
            return last * width; // too few occupied bins for clipping to gain anything
        }
        long[] h = bins.clone();
        h[0] = h[1];
        long[] suffix = new long[BINS + 1];
        for (int i = BINS - 1; i >= 0; i--) {
            suffix[i] = suffix[i + 1] + h[i];
        }
        double[] p = new double[last];
        double[] q = new double[last];
        double[] groupSum = new double[levels];
        int[] groupCount = new int[levels];
        double best = Double.POSITIVE_INFINITY;
        int bestEdge = last;
        for (int edge = ENTROPY_START; edge <= last; edge++) {
            java.util.Arrays.fill(groupSum, 0);
            java.util.Arrays.fill(groupCount, 0);
            for (int i = 0; i < edge; i++) {
                p[i] = h[i];
                if (h[i] != 0) {
                    int g = (int) ((long) i * levels / edge);
                    groupSum[g] += h[i];
                    groupCount[g]++;
                }
            }
            p[edge - 1] += suffix[edge];
            for (int i = 0; i < edge; i++) {
                int g = (int) ((long) i * levels / edge);
                q[i] = h[i] == 0 ? 0 : groupSum[g] / groupCount[g];
            }
            double kl = divergence(p, q, edge);
            if (kl < best) {
                best = kl;
                bestEdge = edge;
            }
        }
        return bestEdge * width;
    }

    /** KL(p || q) over the first {@code n} entries, both smoothed as TensorRT does so that no zero is divided by. */
    private static double divergence(double[] p, double[] q, int n) {
        double[] ps = smooth(p, n);
        double[] qs = smooth(q, n);
        if (ps == null || qs == null) {
            return Double.POSITIVE_INFINITY;
        }
        double kl = 0;
        for (int i = 0; i < n; i++) {
            if (ps[i] > 0) {
                kl += ps[i] * Math.log(ps[i] / qs[i]);
            }
        }
        return kl;
    }

    /** Normalises to sum 1 and moves a little mass (1e-4 per empty bin) onto the empty bins. */
    private static double[] smooth(double[] v, int n) {
        final double eps = 1e-4;
        double sum = 0;
        int zeros = 0;
        for (int i = 0; i < n; i++) {
            sum += v[i];
            if (v[i] == 0) {
                zeros++;
            }
        }
        int nonZeros = n - zeros;
        if (sum == 0 || nonZeros == 0) {
            return null;
        }
        double take = eps * zeros / nonZeros;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double normalised = v[i] / sum;
            out[i] = v[i] == 0 ? eps : normalised - take;
            if (out[i] <= 0) {
                out[i] = eps; // a tiny non-zero bin: keep it positive rather than fail
            }
        }
        return out;
    }
}
