package dev.graft.cli;

import dev.graft.edge.BadInputException;
import dev.graft.edge.EdgeException;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.edge.NonFiniteOutputException;
import dev.graft.edge.Task;
import dev.graft.files.FileRefusedException;
import dev.graft.files.OutputFile;
import dev.graft.interpret.ClassificationReport;
import dev.graft.interpret.ConfusionMatrix;
import dev.graft.interpret.HtmlReport;
import dev.graft.interpret.InterpretException;
import dev.graft.interpret.InterpretationJson;
import dev.graft.interpret.LabelledImages;
import dev.graft.interpret.MultiLabelInterpretation;
import dev.graft.interpret.RegressionInterpretation;
import dev.graft.interpret.SingleLabelInterpretation;
import dev.graft.interpret.Thumbnails;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code graft interpret}: what the model that ships gets wrong. Every image of a labelled folder goes through
 * runtime-edge exactly as {@code graft predict} would run it; the answers stream into the interpret module's
 * accumulators (memory does not grow with the number of images) and come out as an HTML report, JSON and CSV.
 */
@Command(name = "interpret", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"What an exported model gets wrong on labelled images: confusion matrix, most confused classes,",
        "precision/recall/F1, top-k accuracy, top losses, calibration (reliability diagram, ECE); per-label threshold",
        "sweeps for multi-label models; errors and residuals for regression. Writes a self-contained HTML report."})
final class InterpretCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "The .onnx file written by graft export.")
    Path model;

    @Option(names = "--checkpoint", paramLabel = "RUN", description = "Interpret the trained model of a run folder"
        + " (before export) on the run's own validation split, instead of MODEL.")
    Path checkpoint;

    @Option(names = "--data", paramLabel = "DIR|CSV",
        description = "Labelled images: class folders, a folder with a valid/ split (only valid/ is used), or a"
            + " fname,label[,is_valid] CSV (only is_valid rows when the column exists). With --checkpoint: the run's"
            + " data by default, split as the run split it.")
    Path data;

    @Option(names = "--report", defaultValue = "interp.html", paramLabel = "FILE",
        description = "The HTML report (default: ${DEFAULT-VALUE}).")
    Path report;

    @Option(names = "--json", paramLabel = "FILE", description = "Every number of the report as JSON.")
    Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "One row per class (label, output): precision, recall,"
        + " F1, support (MAE, RMSE, R\u00b2 for regression).")
    Path csv;

    @Option(names = "--top-losses", defaultValue = "16", paramLabel = "N",
        description = "Images with the highest loss shown (default: ${DEFAULT-VALUE}).")
    int topLosses;

    @Option(names = "--min-confused", defaultValue = "1", paramLabel = "N",
        description = "Smallest count listed by most-confused (default: ${DEFAULT-VALUE}).")
    int minConfused;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime threads per image, 0 for its default (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--max-image-bytes", defaultValue = "64MB", paramLabel = "SIZE", description = CliOptions.MAX_IMAGE_BYTES_HELP)
    String maxImageBytes;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    /** Time spent running the images through the model and the accumulators, for the images-per-second line. */
    private long loopNanos;
    private int loopImages;

    /** The largest --top-losses: each one is a thumbnail in the page. */
    static final int MAX_TOP_LOSSES = 1000;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (topLosses < 0 || topLosses > MAX_TOP_LOSSES) {
            throw new GraftException("--top-losses must be between 0 and " + MAX_TOP_LOSSES + ", not " + topLosses);
        }
        if (minConfused < 1) {
            throw new GraftException("--min-confused must be at least 1, not " + minConfused);
        }
        if ((model == null) == (checkpoint == null)) {
            throw new GraftException(model == null ? "give an exported MODEL.onnx or --checkpoint RUN"
                : "give either MODEL or --checkpoint, not both");
        }
        if (model != null && data == null) {
            throw new GraftException("--data DIR is needed with an exported model: the labelled images to interpret on");
        }
        List<Path> inputs = new ArrayList<>();
        for (Path p : new Path[] {model, data}) {
            if (p != null) {
                inputs.add(p);
            }
        }
        if (checkpoint != null) {
            inputs.addAll(dev.graft.models.checkpoint.RunFolder.files(checkpoint));
        }
        List<OutputFile> outputs = new ArrayList<>();
        try {
            outputs.add(OutputFile.of(report, "the report", inputs));
            if (json != null) {
                outputs.add(OutputFile.of(json, "the JSON", inputs));
            }
            if (csv != null) {
                outputs.add(OutputFile.of(csv, "the CSV", inputs));
            }
        } catch (FileRefusedException e) {
            throw new GraftException(e.getMessage(), e);
        }
        checkDistinct();
        long start = System.nanoTime();
        String html;
        String jsonText;
        String csvText;
        String summary;
        try (Subject m = checkpoint != null ? TrainedSubject.open(checkpoint, data, err) : edgeSubject(err)) {
            LabelledImages images = m.images();
            HtmlReport page = new HtmlReport("Interpretation of " + m.name());
            page.addIntro(m.description());
            page.addIntro("data " + images.source() + " (" + images.layout() + ", " + images.items().size() + " images)");
            Thumbnails.Maker thumbs = Thumbnails.fromFiles(Thumbnails.DEFAULT_SIDE);
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
            html = page.toHtml();
        } catch (EdgeException e) {
            throw new GraftException(e.getMessage(), e);
        } catch (InterpretException e) {
            throw new GraftException(e.getMessage(), e);
        }
        try {
            outputs.get(0).writeString(html);
            int k = 1;
            if (json != null) {
                outputs.get(k++).writeString(jsonText);
            }
            if (csv != null) {
                outputs.get(k).writeString(csvText);
            }
        } catch (IOException e) {
            throw new GraftException("cannot write " + e.getMessage(), e);
        }
        out.println(summary);
        out.printf(Locale.ROOT, "%d images through the model in %.2f s (%.1f images/s)%n", loopImages, loopNanos / 1e9,
            loopImages / Math.max(1e-9, loopNanos / 1e9));
        out.printf(Locale.ROOT, "wrote %s%s%s in %.1f s%n", report, json == null ? "" : ", " + json,
            csv == null ? "" : ", " + csv, (System.nanoTime() - start) / 1e9);
        out.flush();
        return 0;
    }

    /** The exported model through runtime-edge, and the labelled images of --data. */
    private Subject edgeSubject(PrintWriter err) {
        LabelledImages images = LabelledImages.read(data);
        EdgeOptions options = EdgeOptions.builder().optDevice(device).optIntraOpThreads(threads)
            .optMaxImageBytes(CliOptions.parseBytes("--max-image-bytes", maxImageBytes)).optLogNotes(false).build();
        EdgeModel m = EdgeModel.load(model, options);
        for (String note : m.metadata().assumptions()) {
            err.println("graft: note: " + note);
        }
        err.flush();
        return new Subject() {
            @Override
            public String name() {
                return model.getFileName().toString();
            }

            @Override
            public String description() {
                return "model " + model + " (" + m.task().metadataValue() + ", " + m.metadata().arch() + ", "
                    + m.precision() + ", " + m.device() + ", through runtime-edge)";
            }

            @Override
            public Task task() {
                return m.task();
            }

            @Override
            public List<String> labels() {
                return m.labels();
            }

            @Override
            public double threshold() {
                return m.metadata().threshold();
            }

            @Override
            public int numOutputs() {
                return m.numOutputs();
            }

            @Override
            public LabelledImages images() {
                return images;
            }

            @Override
            public float[] scores(Path file) {
                try {
                    return m.predict(file).scores();
                } catch (BadInputException | NonFiniteOutputException e) {
                    String why = e.getMessage();
                    String prefix = file + ": ";
                    throw new Skip(why != null && why.startsWith(prefix) ? why.substring(prefix.length()) : why);
                }
            }

            @Override
            public void close() {
                m.close();
            }
        };
    }

    private void checkDistinct() {
        Set<Path> seen = new LinkedHashSet<>();
        for (Path p : new Path[] {report, json, csv}) {
            if (p != null && !seen.add(p.toAbsolutePath().normalize())) {
                throw new GraftException("--report, --json and --csv must name different files; " + p + " is named twice");
            }
        }
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

    private Map<String, Integer> classIndex(Subject m) {
        Map<String, Integer> index = new HashMap<>();
        List<String> labels = m.labels();
        for (int i = 0; i < labels.size(); i++) {
            index.put(labels.get(i), i);
        }
        return index;
    }

    private static void refuseUnknown(Set<String> unknown, Subject m, Path data) {
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

    private SingleLabelInterpretation singleLabel(Subject m, LabelledImages images, PrintWriter err) {
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

    private MultiLabelInterpretation multiLabel(Subject m, LabelledImages images, PrintWriter err) {
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

    private RegressionInterpretation regression(Subject m, LabelledImages images, PrintWriter err) {
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

    /** An image the model could not score (unreadable, non-finite output): listed in the report, not fatal. */
    static final class Skip extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Skip(String reason) {
            super(reason, null, false, false);
        }
    }

    /** What is interpreted: a model, its labels and task, and the images it is judged on. */
    interface Subject extends AutoCloseable {
        String name();

        String description();

        Task task();

        List<String> labels();

        double threshold();

        int numOutputs();

        LabelledImages images();

        /** Probabilities (values for regression) in output order; throws {@link Skip} for an unusable image. */
        float[] scores(Path file);

        @Override
        void close();
    }

    /** Every image through the model, one at a time as graft predict runs them, with a progress bar on stderr. */
    private void run(Subject m, LabelledImages images, PrintWriter err, Sink sink, Skipped skip) {
        List<LabelledImages.Item> items = images.items();
        ProgressBar bar = noProgress ? null : new ProgressBarBuilder().setTaskName("interpret").setInitialMax(items.size())
            .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250).build();
        long loopStart = System.nanoTime();
        try {
            for (int i = 0; i < items.size(); i++) {
                LabelledImages.Item item = items.get(i);
                try {
                    sink.accept(item, i, m.scores(item.file()));
                } catch (Skip e) {
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
