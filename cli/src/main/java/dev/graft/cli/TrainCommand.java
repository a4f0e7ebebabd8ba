package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.learner.Checkpointing;
import dev.graft.trainer.learner.EpochResult;
import dev.graft.trainer.learner.EpochTable;
import dev.graft.trainer.learner.Learner;
import dev.graft.trainer.learner.LearnerBuilder;
import dev.graft.trainer.learner.LrFind;
import dev.graft.trainer.learner.ProgressBarCallback;
import dev.graft.trainer.schedule.LearningRates;
import dev.graft.trainer.schedule.OneCycle;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code graft train}: fastai's fit_one_cycle or fine_tune on a folder or CSV, with a checkpoint after every epoch so
 * that a killed run resumes where it stopped, and a training report ({@link TrainingReport}) beside it.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Train a body + head model (fastai's fit_one_cycle or fine_tune) with the DJL PyTorch engine.",
        "A checkpoint (weights, optimiser state, history) is committed atomically to --out after every epoch;",
        "--resume continues an interrupted run from its last checkpoint as if it had never stopped.",
        "report.html in --out shows the loss curves, metrics and schedules after every epoch, and at the end the",
        "interpretation of the trained model on the validation split (as graft interpret --checkpoint writes it)."})
final class TrainCommand implements Callable<Integer> {
    /** fastai's lr_find range (start_lr, end_lr), as {@code graft lr-find} sweeps it by default. */
    private static final double LR_FIND_START = 1e-7;
    private static final double LR_FIND_END = 10;

    @Spec
    CommandSpec spec;

    @Mixin
    NetworkOptions model;

    @Mixin
    TrainingOptions training;

    @ArgGroup(exclusive = true)
    Schedule schedule;

    static final class Schedule {
        @Option(names = "--epochs", paramLabel = "N", description = "fit_one_cycle for N epochs, everything trainable (the default: 4).")
        Integer epochs;

        @Option(names = "--fine-tune", paramLabel = "N", description = "fine_tune: --freeze-epochs with the body frozen, then N epochs unfrozen.")
        Integer fineTune;
    }

    @Option(names = "--lr", paramLabel = "LR",
        description = "Learning rate: one value, ':HI' (HI/10 for the body, HI for the head) or 'LO:HI' (spread over the "
            + "layer groups). Default: 1e-3 for --epochs, fastai's base_lr 2e-3 for --fine-tune (one value).")
    String lr;

    @Option(names = "--freeze-epochs", defaultValue = "1", description = "Frozen epochs before fine-tuning (default: ${DEFAULT-VALUE}).")
    int freezeEpochs;

    @Option(names = "--lr-mult", defaultValue = "100", description = "fine_tune's lr_mult: the body's first group trains this many times slower than the head (default: ${DEFAULT-VALUE}; 1 for a body from random initialisation).")
    double lrMult;

    @Option(names = "--wd", defaultValue = "0.01", description = "Decoupled weight decay, none on BatchNorm, LayerNorm and biases (default: ${DEFAULT-VALUE}).")
    double wd;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder for checkpoints (default: runs/<arch>-<date-time>).")
    Path out;

    @Option(names = "--resume", description = "Continue the interrupted run in --out from its last checkpoint (same options).")
    boolean resume;

    @Option(names = "--no-progress", description = "No progress bars (the epoch table is still printed).")
    boolean noProgress;

    @Option(names = "--lr-find", description = "Run fastai's lr_find on the same learner before fitting (as graft "
        + "lr-find does, weights restored afterwards), print its suggestion and draw its curve in report.html.")
    boolean lrFind;

    @Option(names = "--lr-find-steps", paramLabel = "N", defaultValue = "100",
        description = "Steps of the --lr-find sweep, fastai's num_it (default: ${DEFAULT-VALUE}).")
    int lrFindSteps;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        training.checkNumbers();
        boolean fine = schedule != null && schedule.fineTune != null;
        int epochs = fine ? schedule.fineTune : schedule != null && schedule.epochs != null ? schedule.epochs : 4;
        if (epochs < 1) {
            throw new GraftException("train at least one epoch, not " + epochs);
        }
        if (fine && freezeEpochs < 0) {
            throw new GraftException("--freeze-epochs must be 0 or more, got " + freezeEpochs);
        }
        if (wd < 0) {
            throw new GraftException("--wd must not be negative, got " + wd);
        }
        if (lrFindSteps < 5) {
            throw new GraftException("--lr-find-steps must be at least 5, got " + lrFindSteps);
        }
        String lrText = lr != null ? lr : fine ? "2e-3" : "1e-3";
        LearningRates rates = LearningRates.parse(lrText);
        double baseLr = 0;
        if (fine) {
            try {
                baseLr = Double.parseDouble(lrText);
            } catch (NumberFormatException e) {
                throw new GraftException("--fine-tune takes one --lr (fastai's base_lr), not '" + lrText + "'");
            }
        }
        int total = fine ? epochs + freezeEpochs : epochs;
        Path run = out != null ? out : Path.of("runs", model.arch + "-"
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        // before anything slow: a run folder that cannot be written would otherwise fail after the first epoch
        RunFolder.checkWritable(run);

        ImageDataset data = training.loadData();
        if (model.classes == null) {
            model.classes = data.task() == Task.REGRESSION ? 1 : data.classes().size();
        } else if (data.task() != Task.REGRESSION && model.classes != data.classes().size()) {
            throw new GraftException("--classes " + model.classes + " but the data has " + data.classes().size()
                + " classes: " + String.join(", ", data.classes()));
        }
        ObjectNode runInfo = JsonNodeFactory.instance.objectNode().put("schedule", fine ? "fine_tune" : "fit_one_cycle")
            .put("epochs", epochs).put("freeze_epochs", fine ? freezeEpochs : 0).put("lr", lrText)
            .put("lr_mult", fine ? lrMult : 1)
            .put("batch", training.batch).put("size", training.size).put("seed", training.seed)
            .put("wd", wd).put("freeze_bn", training.freezeBn).put("data", training.data.toString())
            .put("valid_pct", training.validPct);
        int start = 0;
        Network net;
        Map<String, Tensor> body = null;
        if (resume) {
            if (out == null || !Checkpoint.exists(out)) {
                throw new GraftException("--resume needs --out naming a run folder with a checkpoint"
                    + (out == null ? "" : "; none in " + out));
            }
            Checkpoint c = Checkpoint.read(out);
            JsonNode was = c.info().get("run");
            if (was != null && (!was.path("schedule").asText().equals(runInfo.get("schedule").asText())
                    || was.path("epochs").asInt() != epochs || was.path("freeze_epochs").asInt() != runInfo.get(
                        "freeze_epochs").asInt())) {
                throw new GraftException("the run in " + out + " was started as " + describe(was)
                    + "; resume it with the same schedule");
            }
            if (was != null) {
                checkSameOptions(was, runInfo);
            }
            start = c.epochsDone();
            if (start >= total) {
                throw new GraftException("the run in " + out + " is complete (" + start + " of " + total
                    + " epochs); nothing to resume");
            }
            net = c.network();
        } else {
            if (Checkpoint.exists(run)) {
                throw new GraftException(run + " already holds a checkpoint; pass --resume to continue it or choose "
                    + "another --out");
            }
            net = model.build();
            // a size the body cannot take (alexnet below 63 px) is refused here, in one line, before any data is read
            dev.graft.models.spec.Shapes.infer(net, training.size, training.size);
            body = training.bodyWeights(net);
        }
        data = training.checkImages(data, err);

        o.printf(Locale.ROOT, "data: %d training and %d validation images, %s%s%n", data.train().size(),
            data.valid().size(), data.task().id(), data.task() == Task.REGRESSION ? ""
                : ", classes: " + String.join(", ", data.classes()));
        o.printf(Locale.ROOT, "model: %s + head, %s%n", net.arch(), resume ? "resumed from " + out + " after epoch "
            + start : body != null ? "body from " + training.pretrained : "body from random initialisation "
            + "(pass --pretrained for a pretrained body)");
        LearnerBuilder b = Learner.builder(data).optSize(training.size).optBatchSize(training.batch)
            .optWorkers(training.workers()).optMaxImageBytes(training.maxImageBytes()).optSeed(training.seed)
            .optWeightDecay(wd).optFreezeBatchNorm(training.freezeBn).addCallbacks(EpochTable.printingTo(o));
        if (!noProgress) {
            b.addCallbacks(new ProgressBarCallback());
        }
        // the run folder is locked before a resume reads its checkpoint: no other process replaces it meanwhile
        b.addCallbacks(Checkpointing.open(run, runInfo));
        TrainingReport report = new TrainingReport(run, "Training report of " + run.getFileName(), List.of(
            "model " + net.arch() + " + head, " + data.task().id() + (data.task() == Task.REGRESSION ? ""
                : ", classes: " + String.join(", ", data.classes())),
            "schedule " + describe(runInfo) + ", batch " + training.batch + ", size " + training.size + ", seed "
                + training.seed,
            "data " + training.data + ": " + data.train().size() + " training and " + data.valid().size()
                + " validation images"), start);
        b.addCallbacks(report);
        b = resume ? b.optResume(out) : b.setNetwork(net).optBodyWeights(body);
        List<EpochResult> results;
        try (Learner learner = b.build()) {
            o.printf(Locale.ROOT, "device: %s (%s), %d layer groups, run folder %s%n", learner.device(),
                learner.device().isGpu() ? "CUDA" : "no CUDA found, CPU", net.groups().size(), run);
            o.printf(Locale.ROOT, "schedule: %s%n", describe(runInfo));
            o.flush();
            if (lrFind) {
                runLrFind(learner, fine, report, o, err);
            }
            if (fine) {
                results = learner.fineTune(epochs, baseLr, freezeEpochs, lrMult, start);
            } else {
                learner.unfreeze();
                results = learner.fitOneCycle(epochs, rates, OneCycle.defaults(), start);
            }
        }
        EpochResult last = results.get(results.size() - 1);
        o.printf(Locale.ROOT, "checkpoint: %s (after epoch %d of %d)%n", run, start + results.size(), total);
        finishReport(report, run, err);
        o.printf(Locale.ROOT, "training report: %s%n", report.path());
        if (!Double.isNaN(last.metric())) {
            boolean multi = data.task() == Task.MULTI_LABEL;
            o.printf(Locale.ROOT, "validation %s: %.4f (%s %.4f)%n", multi ? "accuracy_multi" : "accuracy",
                last.metric(), multi ? "f1_multi" : "error_rate", last.secondMetric());
        } else {
            o.printf(Locale.ROOT, "validation loss (MSE): %.6f%n", last.validLoss());
        }
        return 0;
    }

    /**
     * The report's last write: the curves, then the interpretation of the checkpoint just committed on the run's
     * validation split, by the same code as {@code graft interpret --checkpoint}. Training has succeeded by now, so an
     * interpretation that fails leaves the report with its curves and a note rather than failing the run.
     */
    private void finishReport(TrainingReport report, Path run, PrintWriter err) {
        try (TrainedSubject subject = TrainedSubject.open(run, null, err)) {
            report.finish(page -> {
                page.addNoteSection("interpretation", "Interpretation on the validation split", subject.description()
                    + "; data " + subject.images().source() + " (" + subject.images().layout() + ", "
                    + subject.images().items().size() + " images)");
                new Interpreter(InterpretCommand.DEFAULT_TOP_LOSSES, InterpretCommand.DEFAULT_MIN_CONFUSED, !noProgress)
                    .addSections(subject, page, err);
            });
        } catch (GraftException | dev.graft.interpret.InterpretException e) {
            err.println("graft: note: the training report has no interpretation: " + e.getMessage());
            err.flush();
            report.finish(page -> { });
        }
    }

    /**
     * fastai's {@code learn.lr_find()} before {@code learn.fine_tune(...)} in one session: the sweep runs with the body
     * as the first phase trains it (frozen for fine_tune, trainable for fit_one_cycle) and restores the weights and
     * Adam, so the fit that follows starts where it would have without it. A resumed run has moved past that point, so
     * nothing is swept.
     */
    private void runLrFind(Learner learner, boolean fine, TrainingReport report, PrintWriter o, PrintWriter err) {
        if (resume) {
            err.println("graft: note: --lr-find runs only before a run's first epoch; nothing is swept on a resume");
            err.flush();
            return;
        }
        if (fine) {
            learner.freeze();
        } else {
            learner.unfreeze();
        }
        o.printf(Locale.ROOT, "lr_find: body %s, %d steps from %s to %s%n", fine ? "frozen" : "trainable",
            lrFindSteps, LrFindCommand.LrFindPlotFmt.fmt(LR_FIND_START), LrFindCommand.LrFindPlotFmt.fmt(LR_FIND_END));
        o.flush();
        LrFind r = learner.lrFind(LR_FIND_START, LR_FIND_END, lrFindSteps);
        o.printf(Locale.ROOT, "suggested learning rate (valley): %s after %d steps%n",
            LrFindCommand.LrFindPlotFmt.fmt(r.valley()), r.losses().size());
        o.flush();
        report.lrFind(r);
    }

    /** The options that shape the rest of the run must be those it started with, or it would not repeat. */
    private void checkSameOptions(JsonNode was, ObjectNode now) {
        String[][] options = {{"lr", "--lr"}, {"lr_mult", "--lr-mult"}, {"wd", "--wd"}, {"batch", "--batch"},
            {"size", "--size"}, {"seed", "--seed"}, {"freeze_bn", "--freeze-bn"}};
        List<String> differ = new java.util.ArrayList<>();
        for (String[] o : options) {
            JsonNode before = was.get(o[0]);
            if (before != null && !before.asText().equals(now.get(o[0]).asText())) {
                differ.add(o[0].equals("freeze_bn") ? (before.asBoolean() ? "--freeze-bn" : "no --freeze-bn")
                    : o[1] + " " + (before.isDouble() ? trim(before.asDouble()) : before.asText()));
            }
        }
        if (!differ.isEmpty()) {
            throw new GraftException("the run in " + out + " was started with " + String.join(" ", differ)
                + "; resume it with the same options");
        }
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String describe(JsonNode run) {
        String s = run.path("schedule").asText();
        return s.equals("fine_tune")
            ? "fine_tune(" + run.path("epochs").asInt() + ", base_lr=" + run.path("lr").asText() + ", freeze_epochs="
                + run.path("freeze_epochs").asInt() + (run.path("lr_mult").asDouble(100) == 100 ? ""
                    : ", lr_mult=" + trim(run.path("lr_mult").asDouble())) + ")"
            : "fit_one_cycle(" + run.path("epochs").asInt() + ", lr_max=" + run.path("lr").asText() + ")";
    }
}
