package dev.graft.trainer.schedule;

import java.util.List;

/**
 * The arithmetic of fastai's {@code lr_find}: the exponential sweep, the smoothed loss and its divergence test, and
 * the "valley" suggestion.
 */
public final class LrFinderMath {
    private LrFinderMath() {
    }

    /** fastai's SchedExp: {@code start * (end / start) ^ pos}. */
    public static double sweep(double start, double end, double pos) {
        return start * Math.pow(end / start, pos);
    }

    /** An exponentially weighted, debiased moving average of the loss (fastai's Recorder, beta 0.98). */
    public static final class SmoothLoss {
        private final double beta;
        private double avg;
        private int count;

        public SmoothLoss(double beta) {
            this.beta = beta;
        }

        /** A smoother that continues from a saved state ({@link #beta}, {@link #average}, {@link #count}). */
        public SmoothLoss(double beta, double average, int count) {
            this.beta = beta;
            this.avg = average;
            this.count = count;
        }

        public double beta() {
            return beta;
        }

        /** The undebiased running average. */
        public double average() {
            return avg;
        }

        /** Losses added so far. */
        public int count() {
            return count;
        }

        public double add(double loss) {
            count++;
            avg = beta * avg + (1 - beta) * loss;
            return avg / (1 - Math.pow(beta, count));
        }
    }

    /**
     * fastai's valley: the longest run of decreasing loss, and a point a little past its first third; returns the
     * index into {@code losses}.
     */
    public static int valley(List<Double> losses) {
        int n = losses.size();
        if (n == 0) {
            throw new IllegalArgumentException("no losses to suggest from");
        }
        int[] lds = new int[n];
        java.util.Arrays.fill(lds, 1);
        int maxStart = 0;
        int maxEnd = 0;
        for (int i = 1; i < n; i++) {
            for (int j = 0; j < i; j++) {
                if (losses.get(i) < losses.get(j) && lds[i] < lds[j] + 1) {
                    lds[i] = lds[j] + 1;
                }
                if (lds[maxEnd] < lds[i]) {
                    maxEnd = i;
                    maxStart = maxEnd - lds[maxEnd];
                }
            }
        }
        double sections = (maxEnd - maxStart) / 3.0;
        int idx = maxStart + (int) sections + (int) (sections / 2);
        return Math.max(0, Math.min(n - 1, idx));
    }
}
