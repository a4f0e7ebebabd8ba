package dev.graft.cli;

import dev.graft.files.FileRefusedException;
import dev.graft.files.OutputFile;
import dev.graft.interpret.HtmlReport;
import dev.graft.interpret.TrainingSections;
import dev.graft.models.GraftException;
import dev.graft.trainer.learner.Callback;
import dev.graft.trainer.learner.EpochResult;
import dev.graft.trainer.learner.LrFind;
import dev.graft.trainer.learner.Recorder;
import dev.graft.trainer.learner.TrainingView;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The training report of a run folder ({@code report.html}), rewritten after every validated epoch so that a run in
 * progress can be watched and a killed run leaves the report of its last epoch: the loss curves, the metrics per
 * epoch, the learning-rate and momentum schedules used, the lr_find curve when {@code --lr-find} ran one, and, once
 * training ends, the interpretation of the trained model on the validation split ({@link #finish}). Every write goes
 * through {@link OutputFile} (temporary and atomic rename), so the name only ever holds a complete page.
 *
 * <p>The per-step curves come from a {@link Recorder}, which lives in memory: a resumed run draws them from the resume
 * on and says so; the per-epoch table comes from the learner's history, which the checkpoint carries, so it covers the
 * whole run.
 */
final class TrainingReport implements Callback {
    /** The report's name in the run folder. */
    static final String FILE = "report.html";

    private final Recorder recorder = new Recorder();
    private final OutputFile file;
    private final String title;
    private final List<String> intro;
    private final int resumedAfter;
    private List<EpochResult> history = List.of();
    private List<String> metricNames = List.of();
    private int groups;
    private LrFind lrFind;

    /**
     * @param resumedAfter the epochs the checkpoint held when this process started (0 for a new run)
     */
    TrainingReport(Path run, String title, List<String> intro, int resumedAfter) {
        try {
            this.file = OutputFile.of(run.resolve(FILE), "the training report");
        } catch (FileRefusedException e) {
            throw new GraftException(e.getMessage(), e);
        }
        this.title = title;
        this.intro = List.copyOf(intro);
        this.resumedAfter = resumedAfter;
    }

    Path path() {
        return file.path();
    }

    @Override
    public void beforeFit(TrainingView v) {
        recorder.beforeFit(v);
        if (v.validates()) {
            metricNames = v.metricNames();
            groups = v.groups();
        }
    }

    @Override
    public void afterBatch(TrainingView v) {
        recorder.afterBatch(v);
    }

    @Override
    public void afterValidate(TrainingView v) {
        recorder.afterValidate(v);
    }

    @Override
    public void afterEpoch(TrainingView v) {
        recorder.afterEpoch(v);
        if (v.epochResult() != null) {
            history = List.copyOf(v.history());
            write(page -> { });
        }
    }

    /** The lr_find sweep run before fitting: drawn from now on, and written at once so the curve is seen early. */
    void lrFind(LrFind sweep) {
        this.lrFind = sweep;
        write(page -> { });
    }

    /** The last write: the curves and, after them, the sections {@code interpretation} adds. */
    void finish(Consumer<HtmlReport> interpretation) {
        write(interpretation);
    }

    /** The page as it stands: the run's curves, then whatever {@code more} adds. */
    HtmlReport page(Consumer<HtmlReport> more) {
        HtmlReport page = new HtmlReport(title);
        intro.forEach(page::addIntro);
        if (resumedAfter > 0) {
            page.addIntro("Resumed after epoch " + resumedAfter + ": the per-batch curves (loss, learning rate, momentum)"
                + " start at the resume, as the recorder lives in memory; the metrics table covers the whole run.");
        }
        List<Double> smooth = recorder.smoothLosses();
        if (!smooth.isEmpty()) {
            List<Recorder.EpochRecord> epochs = recorder.epochs();
            long[] at = new long[epochs.size()];
            double[] valid = new double[epochs.size()];
            for (int i = 0; i < at.length; i++) {
                at[i] = epochs.get(i).steps();
                valid[i] = epochs.get(i).validLoss();
            }
            TrainingSections.addSmoothedLosses(page, toArray(smooth), at, valid);
        }
        if (!history.isEmpty()) {
            List<String> names = new ArrayList<>(List.of("train_loss", "valid_loss"));
            int shown = Math.min(2, metricNames.size());
            names.addAll(metricNames.subList(0, shown));
            int[] numbers = new int[history.size()];
            List<double[]> rows = new ArrayList<>();
            for (int e = 0; e < numbers.length; e++) {
                EpochResult r = history.get(e);
                numbers[e] = e;
                double[] row = new double[names.size()];
                row[0] = r.trainLoss();
                row[1] = r.validLoss();
                if (shown > 0) {
                    row[2] = r.metric();
                }
                if (shown > 1) {
                    row[3] = r.secondMetric();
                }
                rows.add(row);
            }
            TrainingSections.addMetrics(page, names, numbers, rows);
        }
        List<double[]> lrs = recorder.lrs();
        if (!lrs.isEmpty()) {
            // the head's group (the last): fine_tune's frozen phase trains only it, and every group follows one shape
            double[] lr = new double[lrs.size()];
            double[] mom = new double[lrs.size()];
            List<double[]> moms = recorder.moms();
            for (int i = 0; i < lr.length; i++) {
                lr[i] = lrs.get(i)[lrs.get(i).length - 1];
                mom[i] = moms.get(i)[moms.get(i).length - 1];
            }
            TrainingSections.addSchedules(page, lr, mom);
        }
        if (lrFind != null) {
            // fastai's plot_lr_find leaves out the last 5 steps (skip_end=5): the diverged tail would flatten the rest;
            // a sweep that stopped early can suggest a rate among them, and the curve then reaches it
            int n = lrFind.losses().size();
            int shown = n > 7 ? n - 5 : n;
            while (shown < n && lrFind.lrs().get(shown - 1) < lrFind.valley()) {
                shown++;
            }
            TrainingSections.addLrFind(page, toArray(lrFind.lrs().subList(0, shown)),
                toArray(lrFind.losses().subList(0, shown)), lrFind.valley());
        }
        more.accept(page);
        return page;
    }

    private void write(Consumer<HtmlReport> more) {
        String html = page(more).toHtml();
        try {
            file.writeString(html);
        } catch (IOException e) {
            throw new GraftException("cannot write the training report " + file.path() + ": " + e.getMessage(), e);
        }
    }

    private static double[] toArray(List<Double> values) {
        double[] a = new double[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }
}
