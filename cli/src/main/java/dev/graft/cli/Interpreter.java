package dev.graft.cli;

import dev.graft.interpret.ClassificationReport;
import dev.graft.interpret.ConfusionMatrix;
import dev.graft.interpret.HtmlReport;
import dev.graft.interpret.InterpretationJson;
import dev.graft.interpret.LabelledImages;
import dev.graft.interpret.MultiLabelInterpretation;
import dev.graft.interpret.RegressionInterpretation;
import dev.graft.interpret.SingleLabelInterpretation;
import dev.graft.interpret.Thumbnails;
import dev.graft.models.GraftException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * The interpretation sections of a page, from one subject (an exported model or a run's trained model) and its
 * labelled images. {@code graft interpret} and the training report {@code graft train} writes both call
 * {@link #addSections}, so the two pages show the same figures computed by the same code.
 */
final class Interpreter {
    /** What one interpretation produced besides the page's sections. */
    record Result(String json, String csv, String summary, long loopNanos, int images) {
    }

    private final int topLosses;
    private final int minConfused;
    private final boolean progress;
    private long loopNanos;
    private int loopImages;

    Interpreter(int topLosses, int minConfused, boolean progress) {
        this.topLosses = topLosses;
        this.minConfused = minConfused;
        this.progress = progress;
    }

    /** Runs every image of the subject through its model and adds the task's sections to {@code page}. */
    Result addSections(InterpretCommand.Subject m, HtmlReport page, PrintWriter err) {
        LabelledImages images = m.images();
        Thumbnails.Maker thumbs = Thumbnails.fromFiles(Thumbnails.DEFAULT_SIDE);
        String jsonText;
        String csvText;
        String summary;
        switch (m.task()) {
            case SINGLE_LABEL -> {
                SingleLabelInterpretation in = singleLabel(m, images, err);
                page.addSingleLabel(in, minConfused, thumbs);
                jsonText = InterpretationJson.toJson(InterpretationJson.singleLabel(in, minConfused));
                csvText = InterpretationJson.singleLabelCsv(in);
                summary = summary(in);
            }
            case MULTI_LABEL -> {
                MultiLabelInterpretation in = multiLabel(m, images, err);
                page.addMultiLabel(in, thumbs);
                jsonText = InterpretationJson.toJson(InterpretationJson.multiLabel(in));
                csvText = InterpretationJson.multiLabelCsv(in);
                summary = String.format(Locale.ROOT, "%d images: exact match %.2f%% at threshold %s; %d unreadable",
                    in.count(), 100 * in.exactMatch(), HtmlReport.number(in.threshold()), in.unreadable().count());
            }
            case REGRESSION -> {
                RegressionInterpretation in = regression(m, images, err);
                page.addRegression(in, thumbs);
                jsonText = InterpretationJson.toJson(InterpretationJson.regression(in));
                csvText = InterpretationJson.regressionCsv(in);
                StringBuilder sb = new StringBuilder(in.count() + " images");
                in.metrics().forEach(o -> sb.append("; ").append(o.output()).append(": MAE ")
                    .append(HtmlReport.number(o.mae())).append(", RMSE ").append(HtmlReport.number(o.rmse()))
                    .append(", R\u00b2 ").append(HtmlReport.number(o.r2())));
                summary = sb.append("; ").append(in.unreadable().count()).append(" unreadable").toString();
            }
            default -> throw new AssertionError(m.task());
        }
        return new Result(jsonText, csvText, summary, loopNanos, loopImages);
    }

    private static String summary(SingleLabelInterpretation in) {
        ClassificationReport r = in.report();
        double[] topK = in.topKAccuracy();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d images: accuracy %.2f%%", in.count(),
            100 * r.accuracy()));
        if (topK.length >= 3) {
            sb.append(String.format(Locale.ROOT, ", top-3 %.2f%%", 100 * topK[2]));
        }
        sb.append(String.format(Locale.ROOT, ", macro F1 %.4f, ECE %.4f", r.macro().f1(), in.reliability().ece()));
        List<ConfusionMatrix.Confusion> confused = in.confusion().mostConfused(1);
        if (!confused.isEmpty()) {
            sb.append("\nmost confused:");
            confused.stream().limit(5).forEach(c -> sb.append(' ').append(c.actual()).append(" -> ").append(c.predicted())
                .append(" (").append(c.count()).append(')'));
        }
        if (in.unreadable().count() > 0) {
            sb.append('\n').append(in.unreadable().count()).append(" unreadable image(s) listed in the report");
        }
        return sb.toString();
    }

    private Map<String, Integer> classIndex(InterpretCommand.Subject m) {
        Map<String, Integer> index = new HashMap<>();
        List<String> labels = m.labels();
        for (int i = 0; i < labels.size(); i++) {
            index.put(labels.get(i), i);
        }
        return index;
    }

    private static void refuseUnknown(Set<String> unknown, InterpretCommand.Subject m, Path data) {
        if (!unknown.isEmpty()) {
            List<String> names = new ArrayList<>(unknown);
            String shown = String.join(", ", names.subList(0, Math.min(5, names.size())))
                + (names.size() > 5 ? " (and " + (names.size() - 5) + " more)" : "");
            throw new GraftException(data + " has class" + (names.size() > 1 ? "es " : " ") + shown
                + " that the model lacks (it knows " + m.labels().size() + ": "
                + String.join(", ", m.labels().subList(0, Math.min(5, m.labels().size())))
                + (m.labels().size() > 5 ? ", ..." : "") + ")");
        }
    }

    private SingleLabelInterpretation singleLabel(InterpretCommand.Subject m, LabelledImages images, PrintWriter err) {
        Map<String, Integer> index = classIndex(m);
        Set<String> unknown = new LinkedHashSet<>();
        int[] labels = new int[images.items().size()];
        for (int i = 0; i < labels.length; i++) {
            Integer c = index.get(images.items().get(i).label());
            if (c == null) {
                unknown.add(images.items().get(i).label());
            } else {
                labels[i] = c;
            }
        }
        refuseUnknown(unknown, m, images.source());
        SingleLabelInterpretation in = new SingleLabelInterpretation(m.labels(), topLosses);
        run(m, images, err, (item, i, p) -> in.add(item.file().toString(), p, labels[i]),
            (item, why) -> in.unreadable(item.file().toString(), why));
        return in;
    }

    private MultiLabelInterpretation multiLabel(InterpretCommand.Subject m, LabelledImages images, PrintWriter err) {
        Map<String, Integer> index = classIndex(m);
        Set<String> unknown = new LinkedHashSet<>();
        boolean[][] actual = new boolean[images.items().size()][m.labels().size()];
        for (int i = 0; i < actual.length; i++) {
            for (String l : images.items().get(i).label().trim().split("\\s+")) {
                if (l.isEmpty()) {
                    continue;
                }
                Integer c = index.get(l);
                if (c == null) {
                    unknown.add(l);
                } else {
                    actual[i][c] = true;
                }
            }
        }
        refuseUnknown(unknown, m, images.source());
        MultiLabelInterpretation in = new MultiLabelInterpretation(m.labels(), m.threshold(), topLosses);
        run(m, images, err, (item, i, p) -> in.add(item.file().toString(), p, actual[i]),
            (item, why) -> in.unreadable(item.file().toString(), why));
        return in;
    }

    private RegressionInterpretation regression(InterpretCommand.Subject m, LabelledImages images, PrintWriter err) {
        int n = m.numOutputs();
        float[][] actual = new float[images.items().size()][];
        for (int i = 0; i < actual.length; i++) {
            String[] cells = images.items().get(i).label().trim().split("\\s+");
            if (n > 0 && cells.length != n) {
                throw new GraftException(images.items().get(i).file() + ": " + cells.length + " target value(s) for a"
                    + " model with " + n + " output(s)");
            }
            actual[i] = new float[cells.length];
            for (int k = 0; k < cells.length; k++) {
                try {
                    actual[i][k] = Float.parseFloat(cells[k]);
                } catch (NumberFormatException e) {
                    throw new GraftException(images.items().get(i).file() + ": target '" + cells[k]
                        + "' is not a number (a regression model needs numeric labels)");
                }
            }
        }
        List<String> names = m.labels().isEmpty() ? List.of("value") : m.labels();
        RegressionInterpretation in = new RegressionInterpretation(names, topLosses, 2000);
        run(m, images, err, (item, i, p) -> in.add(item.file().toString(), p, actual[i]),
            (item, why) -> in.unreadable(item.file().toString(), why));
        return in;
    }

    @FunctionalInterface
    private interface Sink {
        void accept(LabelledImages.Item item, int index, float[] scores);
    }

    @FunctionalInterface
    private interface Skipped {
        void accept(LabelledImages.Item item, String why);
    }


    /** Every image through the model, one at a time as graft predict runs them, with a progress bar on stderr. */
    private void run(InterpretCommand.Subject m, LabelledImages images, PrintWriter err, Sink sink, Skipped skip) {
        List<LabelledImages.Item> items = images.items();
        ProgressBar bar = !progress ? null : new ProgressBarBuilder().setTaskName("interpret").setInitialMax(items.size())
            .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250).build();
        long loopStart = System.nanoTime();
        try {
            for (int i = 0; i < items.size(); i++) {
                LabelledImages.Item item = items.get(i);
                try {
                    sink.accept(item, i, m.scores(item.file()));
                } catch (InterpretCommand.Skip e) {
                    skip.accept(item, e.getMessage());
                }
                if (bar != null) {
                    bar.step();
                }
            }
        } finally {
            loopNanos = System.nanoTime() - loopStart;
            loopImages = items.size();
            if (bar != null) {
                bar.close();
            }
        }
        err.flush();
    }
}
