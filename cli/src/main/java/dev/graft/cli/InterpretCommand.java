package dev.graft.cli;

import dev.graft.edge.BadInputException;
import dev.graft.edge.EdgeException;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.edge.NonFiniteOutputException;
import dev.graft.edge.Task;
import dev.graft.files.FileRefusedException;
import dev.graft.files.OutputFile;
import dev.graft.interpret.HtmlReport;
import dev.graft.interpret.InterpretException;
import dev.graft.interpret.LabelledImages;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code graft interpret}: what the model that ships gets wrong. Every image of a labelled folder goes through
 * runtime-edge exactly as {@code graft predict} would run it; the answers stream into the interpret module's
 * accumulators (memory does not grow with the number of images) and come out as an HTML report, JSON and CSV. The
 * figures are computed by {@link Interpreter}, which {@code graft train} also calls for its report's last sections.
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

    /** The defaults of --top-losses and --min-confused, which the training report's interpretation uses too. */
    static final int DEFAULT_TOP_LOSSES = 16;
    static final int DEFAULT_MIN_CONFUSED = 1;

    @Option(names = "--top-losses", defaultValue = "" + DEFAULT_TOP_LOSSES, paramLabel = "N",
        description = "Images with the highest loss shown (default: ${DEFAULT-VALUE}).")
    int topLosses;

    @Option(names = "--min-confused", defaultValue = "" + DEFAULT_MIN_CONFUSED, paramLabel = "N",
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
            Interpreter.Result r = new Interpreter(topLosses, minConfused, !noProgress).addSections(m, page, err);
            jsonText = r.json();
            csvText = r.csv();
            summary = r.summary();
            loopNanos = r.loopNanos();
            loopImages = r.images();
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
        PredictCommand.warmUpImageIo(); // as graft predict does, so the first image does not pay for it inside the loop
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

}
