package dev.graft.interpret;

import java.util.ArrayList;
import java.util.List;

/**
 * The training report's sections from plain series, so that whatever records a run (the trainer's callbacks, a
 * checkpoint's history) can hand its numbers over: loss curves, metrics per epoch, the learning-rate and momentum
 * schedules actually used, the lr_find curve.
 */
public final class TrainingSections {
    /** fastai's recorder smooths the training loss with this beta. */
    public static final double SMOOTH_BETA = 0.98;

    private TrainingSections() {
    }

    /**
     * fastai's {@code SmoothenValue}: an exponential moving average with beta {@link #SMOOTH_BETA}, debiased by
     * 1 - beta^n so that the first values are not pulled towards 0.
     */
    public static double[] smooth(double[] values) {
        double[] out = new double[values.length];
        double mov = 0;
        for (int i = 0; i < values.length; i++) {
            mov = SMOOTH_BETA * mov + (1 - SMOOTH_BETA) * values[i];
            out[i] = mov / (1 - Math.pow(SMOOTH_BETA, i + 1));
        }
        return out;
    }

    /**
     * The loss curves: the training loss per batch, smoothed, and the validation loss per epoch drawn at the batch
     * count where each epoch ended.
     */
    public static void addLosses(HtmlReport report, double[] trainLossPerBatch, long[] validAtBatch, double[] validLoss) {
        addSmoothedLosses(report, smooth(trainLossPerBatch), validAtBatch, validLoss);
    }

    /**
     * {@link #addLosses} with the training loss already smoothed by whoever recorded it (the trainer's recorder restarts
     * its average at each fit, as fastai's does, which one pass of {@link #smooth} over the whole run would not).
     */
    public static void addSmoothedLosses(HtmlReport report, double[] smoothedTrainLoss, long[] validAtBatch,
                                         double[] validLoss) {
        double[] x = new double[smoothedTrainLoss.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        List<Svg.Series> s = new ArrayList<>();
        s.add(new Svg.Series("train (smoothed)", x, smoothedTrainLoss, false, false));
        if (validLoss.length > 0) {
            double[] vx = new double[validAtBatch.length];
            for (int i = 0; i < vx.length; i++) {
                vx[i] = validAtBatch[i];
            }
            s.add(new Svg.Series("valid", vx, validLoss, false, true));
        }
        report.addSection("losses", "Loss", "<div class=\"charts\">"
                + Svg.lines("loss", "Loss", "batches processed", "loss", s, false, Double.NaN, "") + "</div>");
    }

    /** The metrics table, one row per epoch, and a chart of them. */
    public static void addMetrics(HtmlReport report, List<String> names, List<double[]> perEpoch) {
        int[] epochs = new int[perEpoch.size()];
        for (int e = 0; e < epochs.length; e++) {
            epochs[e] = e;
        }
        addMetrics(report, names, epochs, perEpoch);
    }

    /** {@link #addMetrics} with the epochs numbered as the run numbers them (a resumed run starts past 0). */
    public static void addMetrics(HtmlReport report, List<String> names, int[] epochs, List<double[]> perEpoch) {
        List<String> header = new ArrayList<>();
        header.add("epoch");
        header.addAll(names);
        List<List<String>> rows = new ArrayList<>();
        for (int e = 0; e < perEpoch.size(); e++) {
            List<String> r = new ArrayList<>();
            r.add(Integer.toString(epochs[e]));
            for (double v : perEpoch.get(e)) {
                r.add(HtmlReport.number(v));
            }
            rows.add(r);
        }
        List<Svg.Series> s = new ArrayList<>();
        double[] x = new double[perEpoch.size()];
        for (int e = 0; e < x.length; e++) {
            x[e] = epochs[e];
        }
        for (int m = 0; m < names.size(); m++) {
            double[] y = new double[perEpoch.size()];
            for (int e = 0; e < y.length; e++) {
                y[e] = m < perEpoch.get(e).length ? perEpoch.get(e)[m] : Double.NaN;
            }
            s.add(new Svg.Series(names.get(m), x, y, false, true));
        }
        report.addSection("metrics", "Metrics per epoch", HtmlReport.table(header, rows) + "<div class=\"charts\">"
                + Svg.lines("metrics", "Metrics", "epoch", "value", s, false, Double.NaN, "") + "</div>");
    }

    /** The learning rate and momentum each batch was trained with. */
    public static void addSchedules(HtmlReport report, double[] lr, double[] momentum) {
        double[] x = new double[lr.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        double[] mx = new double[momentum.length];
        for (int i = 0; i < mx.length; i++) {
            mx[i] = i + 1;
        }
        report.addSection("schedules", "Schedules", "<div class=\"charts\">"
                + Svg.lines("lr", "Learning rate", "batch", "learning rate",
                        List.of(new Svg.Series("lr", x, lr, false, false)), false, Double.NaN, "")
                + Svg.lines("momentum", "Momentum", "batch", "momentum",
                        List.of(new Svg.Series("mom", mx, momentum, false, false)), false, Double.NaN, "")
                + "</div>");
    }

    /** The lr_find curve (loss against learning rate, log scale) with the suggestion marked (NaN for none). */
    public static void addLrFind(HtmlReport report, double[] lrs, double[] losses, double suggestion) {
        report.addSection("lr-find", "Learning-rate finder", "<div class=\"charts\">"
                + Svg.lines("lr-find", "lr_find", "learning rate", "loss",
                        List.of(new Svg.Series("loss", lrs, losses, false, false)), true, suggestion,
                        "suggested " + HtmlReport.number(suggestion)) + "</div>");
    }
}
