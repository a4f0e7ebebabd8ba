package dev.graft.interpret;

import java.util.ArrayList;
import java.util.List;

/**
 * Multi-label interpretation, streaming: per-label precision, recall, F1 and support at the model's threshold, the same
 * at every threshold of a fixed sweep (so each label's best-F1 threshold can be read off), and the top losses by mean
 * binary cross-entropy. Memory: three counts per label and threshold.
 */
public final class MultiLabelInterpretation {
    /** The sweep: 0.05, 0.10, ... 0.95. */
    public static final double[] SWEEP = sweep();

    private final List<String> labels;
    private final double threshold;
    private final long[][] tp;
    private final long[][] fp;
    private final long[][] fn;
    private final long[] atTp;
    private final long[] atFp;
    private final long[] atFn;
    private final TopLosses topLosses;
    private final Unreadable unreadable = new Unreadable();
    private long count;
    private long exact;

    public MultiLabelInterpretation(List<String> labels, double threshold, int topLosses) {
        if (labels.isEmpty()) {
            throw new InterpretException("multi-label interpretation needs at least one label");
        }
        this.labels = List.copyOf(labels);
        this.threshold = threshold;
        int n = labels.size();
        tp = new long[n][SWEEP.length];
        fp = new long[n][SWEEP.length];
        fn = new long[n][SWEEP.length];
        atTp = new long[n];
        atFp = new long[n];
        atFn = new long[n];
        this.topLosses = new TopLosses(topLosses);
    }

    private static double[] sweep() {
        double[] t = new double[19];
        for (int i = 0; i < t.length; i++) {
            t[i] = (i + 1) / 20.0;
        }
        return t;
    }

    /** One image: the model's per-label probabilities (sigmoid output) and which labels it truly has. */
    public void add(String file, float[] probabilities, boolean[] actual) {
        if (probabilities.length != labels.size() || actual.length != labels.size()) {
            throw new IllegalArgumentException("expected " + labels.size() + " labels");
        }
        count++;
        boolean allRight = true;
        for (int l = 0; l < labels.size(); l++) {
            double p = probabilities[l];
            boolean predicted = p >= threshold;
            allRight &= predicted == actual[l];
            if (predicted && actual[l]) {
                atTp[l]++;
            } else if (predicted) {
                atFp[l]++;
            } else if (actual[l]) {
                atFn[l]++;
            }
            for (int t = 0; t < SWEEP.length; t++) {
                boolean at = p >= SWEEP[t];
                if (at && actual[l]) {
                    tp[l][t]++;
                } else if (at) {
                    fp[l][t]++;
                } else if (actual[l]) {
                    fn[l][t]++;
                }
            }
        }
        if (allRight) {
            exact++;
        }
        topLosses.offer(file, names(actual, null, 0), names(null, probabilities, threshold),
                TopLosses.binaryCrossEntropy(probabilities, actual), maxOf(probabilities));
    }

    private String names(boolean[] actual, float[] p, double t) {
        StringBuilder sb = new StringBuilder();
        for (int l = 0; l < labels.size(); l++) {
            if (actual != null ? actual[l] : p[l] >= t) {
                sb.append(sb.length() == 0 ? "" : " ").append(labels.get(l));
            }
        }
        return sb.length() == 0 ? "(none)" : sb.toString();
    }

    private static double maxOf(float[] p) {
        double m = 0;
        for (float v : p) {
            m = Math.max(m, v);
        }
        return m;
    }

    public void unreadable(String file, String reason) {
        unreadable.add(file, reason);
    }

    /** One label's figures at the model's threshold, and its sweep. */
    public record LabelMetrics(String label, double precision, double recall, double f1, long support,
                               double[] sweepF1, double bestThreshold, double bestF1) {
    }

    public List<LabelMetrics> labelMetrics() {
        List<LabelMetrics> out = new ArrayList<>();
        for (int l = 0; l < labels.size(); l++) {
            double[] f1s = new double[SWEEP.length];
            int best = 0;
            for (int t = 0; t < SWEEP.length; t++) {
                f1s[t] = f1(tp[l][t], fp[l][t], fn[l][t]);
                if (f1s[t] > f1s[best]) {
                    best = t;
                }
            }
            long support = atTp[l] + atFn[l];
            out.add(new LabelMetrics(labels.get(l), div(atTp[l], atTp[l] + atFp[l]), div(atTp[l], support),
                    f1(atTp[l], atFp[l], atFn[l]), support, f1s, SWEEP[best], f1s[best]));
        }
        return out;
    }

    private static double f1(long tp, long fp, long fn) {
        long d = 2 * tp + fp + fn;
        return d == 0 ? 0 : 2.0 * tp / d;
    }

    private static double div(long a, long b) {
        return b == 0 ? 0 : a / (double) b;
    }

    public List<String> labels() {
        return labels;
    }

    public double threshold() {
        return threshold;
    }

    /** Share of images whose every label was decided right. */
    public double exactMatch() {
        return count == 0 ? 0 : exact / (double) count;
    }

    public TopLosses topLosses() {
        return topLosses;
    }

    public Unreadable unreadable() {
        return unreadable;
    }

    public long count() {
        return count;
    }
}
