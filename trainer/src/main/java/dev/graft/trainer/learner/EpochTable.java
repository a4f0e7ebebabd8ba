package dev.graft.trainer.learner;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * fastai's epoch table: a header at the start of every validating fit and one row per epoch (epoch, train_loss,
 * valid_loss, the first two metrics, time), each line handed to a line sink as soon as it is known.
 */
public final class EpochTable implements Callback {
    private final Consumer<String> lines;

    /** Each line (without its line break) goes to {@code lines}. */
    public EpochTable(Consumer<String> lines) {
        this.lines = Objects.requireNonNull(lines, "lines");
    }

    /** Prints to {@code out}, flushing after every line. */
    public static EpochTable printingTo(PrintWriter out) {
        return new EpochTable(line -> {
            out.println(line);
            out.flush();
        });
    }

    /** Prints to {@code out}, flushing after every line. */
    public static EpochTable printingTo(PrintStream out) {
        return new EpochTable(line -> {
            out.println(line);
            out.flush();
        });
    }

    @Override
    public void beforeFit(TrainingView v) {
        if (v.validates()) {
            lines.accept(header(v.metricNames()));
        }
    }

    @Override
    public void afterEpoch(TrainingView v) {
        if (v.epochResult() != null) {
            lines.accept(row(v.epochResult()));
        }
    }

    /** The header line for metrics named {@code metrics} (the first two are shown). */
    static String header(List<String> metrics) {
        String m = metrics.isEmpty() ? "" : metrics.get(0);
        String m2 = metrics.size() < 2 ? "" : metrics.get(1);
        return String.format(Locale.ROOT, "%-6s  %-10s  %-10s  %s%s%-6s", "epoch", "train_loss", "valid_loss",
            m.isEmpty() ? "" : String.format(Locale.ROOT, "%-14s  ", m),
            m2.isEmpty() ? "" : String.format(Locale.ROOT, "%-10s  ", m2), "time");
    }

    /** The row of one epoch; a NaN metric leaves its column out, as regression has none. */
    static String row(EpochResult r) {
        long secs = Math.round(r.seconds());
        String time = String.format(Locale.ROOT, "%02d:%02d", secs / 60, secs % 60);
        String metric = Double.isNaN(r.metric()) ? "" : String.format(Locale.ROOT, "%-14.6f  ", r.metric());
        String second = Double.isNaN(r.secondMetric()) ? "" : String.format(Locale.ROOT, "%-10.6f  ",
            r.secondMetric());
        return String.format(Locale.ROOT, "%-6d  %-10.6f  %-10.6f  %s%s%s", r.epoch(), r.trainLoss(), r.validLoss(),
            metric, second, time);
    }
}
