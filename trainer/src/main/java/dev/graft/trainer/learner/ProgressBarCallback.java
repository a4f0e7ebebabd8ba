package dev.graft.trainer.learner;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * A console progress bar over the training batches of each epoch ("epoch N", the smoothed loss as its message),
 * redrawn at most every 250 ms. Writes to a terminal stream (standard error by default), never to the epoch table's.
 */
public final class ProgressBarCallback implements Callback, AutoCloseable {
    private final PrintStream stream;
    private ProgressBar bar;

    public ProgressBarCallback() {
        this(System.err);
    }

    public ProgressBarCallback(PrintStream stream) {
        this.stream = stream;
    }

    @Override
    public void beforeTrain(TrainingView v) {
        close();
        bar = new ProgressBarBuilder().setTaskName("epoch " + v.dataEpoch()).setInitialMax(v.iterations())
            .setConsumer(new ConsoleProgressBarConsumer(stream)).setUpdateIntervalMillis(250).build();
    }

    @Override
    public void afterBatch(TrainingView v) {
        if (bar != null && v.training()) {
            bar.step();
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", v.smoothLoss()));
        }
    }

    @Override
    public void afterTrain(TrainingView v) {
        close();
    }

    @Override
    public void afterFit(TrainingView v) {
        close();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
