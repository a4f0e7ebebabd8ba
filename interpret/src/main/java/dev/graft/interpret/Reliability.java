package dev.graft.interpret;

/**
 * The reliability diagram and expected calibration error of Guo et al. 2017 ("On Calibration of Modern Neural
 * Networks"): {@value #BINS} equal-width bins of the top-class confidence over [0, 1], each {@code (lo, hi]} with the
 * first closed at 0; ECE is the sum over bins of (bin count / total) times |accuracy - mean confidence|. Streaming:
 * three numbers per bin.
 */
public final class Reliability {
    /** Bins over [0, 1], as in the paper. */
    public static final int BINS = 15;
    /** Bin edges as numpy's {@code linspace(0, 1, 16)} computes them (i * (1/15), the last exactly 1). */
    private static final double[] EDGES = new double[BINS + 1];

    static {
        double step = 1.0 / BINS;
        for (int i = 0; i < BINS; i++) {
            EDGES[i] = i * step;
        }
        EDGES[BINS] = 1.0;
    }

    private final long[] count = new long[BINS];
    private final long[] correct = new long[BINS];
    private final double[] confidence = new double[BINS];

    /** One prediction: its top-class probability and whether it was right. */
    public void add(double topConfidence, boolean right) {
        int b = bin(topConfidence);
        count[b]++;
        confidence[b] += topConfidence;
        if (right) {
            correct[b]++;
        }
    }

    /** The bin of a confidence: (lo, hi], the first bin also holding 0; values outside [0, 1] go to the end bins. */
    static int bin(double c) {
        int b = (int) Math.ceil(c * BINS) - 1;
        b = Math.max(0, Math.min(BINS - 1, b));
        while (b > 0 && c <= EDGES[b]) {
            b--;
        }
        while (b < BINS - 1 && c > EDGES[b + 1]) {
            b++;
        }
        return b;
    }

    /** One bin of the diagram. */
    public record Bin(double lo, double hi, long count, double accuracy, double confidence) {
    }

    public Bin[] bins() {
        Bin[] out = new Bin[BINS];
        for (int b = 0; b < BINS; b++) {
            out[b] = new Bin(EDGES[b], EDGES[b + 1], count[b], count[b] == 0 ? 0 : correct[b] / (double) count[b],
                    count[b] == 0 ? 0 : confidence[b] / count[b]);
        }
        return out;
    }

    /** The expected calibration error, 0 when nothing was added. */
    public double ece() {
        long total = 0;
        for (long c : count) {
            total += c;
        }
        if (total == 0) {
            return 0;
        }
        double e = 0;
        for (int b = 0; b < BINS; b++) {
            if (count[b] > 0) {
                e += count[b] / (double) total * Math.abs(correct[b] / (double) count[b] - confidence[b] / count[b]);
            }
        }
        return e;
    }

    /** The ECE of softmax(logits / temperature) over rows of {@code logits} with their true classes. */
    public static double eceOfLogits(float[][] logits, int[] labels, double temperature) {
        Reliability r = new Reliability();
        for (int i = 0; i < logits.length; i++) {
            double[] p = Softmax.of(logits[i], 1 / temperature);
            int top = Softmax.argmax(p);
            r.add(p[top], top == labels[i]);
        }
        return r.ece();
    }
}
