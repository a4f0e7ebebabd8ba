package dev.graft.trainer.schedule;

import dev.graft.models.GraftException;

/**
 * fastai's {@code fit_one_cycle} schedule: the learning rate rises by cosine from {@code lrMax / div} to
 * {@code lrMax} over the first {@code pctStart} of the steps, then falls by cosine to {@code lrMax / divFinal};
 * momentum (Adam's beta1) moves the opposite way, {@code 0.95 -> 0.85 -> 0.95}.
 *
 * <p>Values are per step: step {@code i} of {@code total} sits at position {@code i / total}, as in fastai's
 * ParamScheduler. Learning rates are multipliers of each group's own maximum, so discriminative learning rates share
 * one schedule.
 */
public record OneCycle(double div, double divFinal, double pctStart, double momStart, double momMid, double momEnd) {

    public OneCycle {
        if (!(div > 0) || !(divFinal > 0)) {
            throw new GraftException("one-cycle div and div_final must be positive");
        }
        if (!(pctStart >= 0 && pctStart <= 1)) {
            throw new GraftException("pct_start must be in [0, 1], not " + pctStart);
        }
    }

    /** fastai's defaults: div 25, div_final 1e5, pct_start 0.25, moms (0.95, 0.85, 0.95). */
    public static OneCycle defaults() {
        return new OneCycle(25, 1e5, 0.25, 0.95, 0.85, 0.95);
    }

    public OneCycle withPctStart(double pct) {
        return new OneCycle(div, divFinal, pct, momStart, momMid, momEnd);
    }

    public OneCycle withDiv(double d) {
        return new OneCycle(d, divFinal, pctStart, momStart, momMid, momEnd);
    }

    /** The learning rate at position {@code pos} in [0, 1] for a group whose maximum is {@code lrMax}. */
    public double lr(double lrMax, double pos) {
        return combined(pos, lrMax / div, lrMax, lrMax / divFinal);
    }

    /** Adam's beta1 at position {@code pos}. */
    public double mom(double pos) {
        return combined(pos, momStart, momMid, momEnd);
    }

    private double combined(double pos, double start, double mid, double end) {
        if (pos < pctStart) {
            return cos(start, mid, pos / pctStart);
        }
        double rest = 1 - pctStart;
        return cos(mid, end, rest <= 0 ? 1 : (pos - pctStart) / rest);
    }

    /** fastai's SchedCos: start + (1 + cos(pi * (1 - pos))) * (end - start) / 2. */
    static double cos(double start, double end, double pos) {
        return start + (1 + Math.cos(Math.PI * (1 - pos))) * (end - start) / 2;
    }
}
