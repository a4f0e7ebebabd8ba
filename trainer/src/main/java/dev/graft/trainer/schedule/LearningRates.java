package dev.graft.trainer.schedule;

import dev.graft.models.GraftException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Learning rates per layer group from one value or a slice, as fastai's {@code set_hyper} spreads them.
 *
 * <p>A single value gives every group the same rate; {@code slice(hi)} gives {@code hi/10} to every group but the
 * last, which gets {@code hi}; {@code slice(lo, hi)} spaces the groups geometrically from lo to hi (fastai's
 * even_mults). The command line writes these as {@code 1e-3}, {@code :1e-3} and {@code 1e-5:1e-3}.
 */
public record LearningRates(Double lo, double hi, boolean slice) {

    public static LearningRates of(double lr) {
        return new LearningRates(null, lr, false);
    }

    /** fastai's {@code slice(hi)}. */
    public static LearningRates slice(double hi) {
        return new LearningRates(null, hi, true);
    }

    /** fastai's {@code slice(lo, hi)}. */
    public static LearningRates slice(double lo, double hi) {
        return new LearningRates(lo, hi, true);
    }

    /** The maximum learning rate of each of {@code groups} layer groups. */
    public double[] perGroup(int groups) {
        double[] out = new double[groups];
        if (!slice) {
            java.util.Arrays.fill(out, hi);
        } else if (lo == null) {
            java.util.Arrays.fill(out, hi / 10);
            out[groups - 1] = hi;
        } else if (groups == 1) {
            out[0] = hi;
        } else {
            double step = Math.pow(hi / lo, 1.0 / (groups - 1));
            for (int i = 0; i < groups; i++) {
                out[i] = lo * Math.pow(step, i);
            }
        }
        return out;
    }

    /** Parses {@code 1e-3}, {@code :1e-3} (slice(hi)) or {@code 1e-5:1e-3} (slice(lo, hi)). */
    public static LearningRates parse(String text) {
        try {
            String t = text.trim();
            int colon = t.indexOf(':');
            if (colon < 0) {
                return checked(of(Double.parseDouble(t)));
            }
            String a = t.substring(0, colon).trim();
            double hi = Double.parseDouble(t.substring(colon + 1).trim());
            return checked(a.isEmpty() ? slice(hi) : slice(Double.parseDouble(a), hi));
        } catch (NumberFormatException e) {
            throw new GraftException("--lr takes a number (1e-3), :HI (slice(hi)) or LO:HI (slice(lo, hi)), not '" + text + "'");
        }
    }

    private static LearningRates checked(LearningRates r) {
        if (!(r.hi > 0) || !Double.isFinite(r.hi) || (r.lo != null && !(r.lo > 0 && r.lo <= r.hi))) {
            throw new GraftException("learning rates must be positive and finite, with lo <= hi");
        }
        return r;
    }

    @Override
    public String toString() {
        if (!slice) {
            return String.format(Locale.ROOT, "%.3g", hi);
        }
        return lo == null ? String.format(Locale.ROOT, "slice(%.3g)", hi) : String.format(Locale.ROOT, "slice(%.3g, %.3g)", lo, hi);
    }

    /** For display: the rates of each group. */
    public List<String> describe(int groups) {
        List<String> out = new ArrayList<>();
        for (double d : perGroup(groups)) {
            out.add(String.format(Locale.ROOT, "%.3g", d));
        }
        return out;
    }
}
