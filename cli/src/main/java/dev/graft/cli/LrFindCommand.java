package dev.graft.cli;

import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.learner.Learner;
import dev.graft.trainer.learner.LearnerBuilder;
import dev.graft.trainer.learner.LrFind;
import dev.graft.trainer.learner.ProgressBarCallback;
import dev.graft.trainer.learner.LrFindPlot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code graft lr-find}: fastai's learning-rate finder, so the {@code --lr} of {@code graft train} is chosen from a
 * measured curve rather than guessed. The weights are restored afterwards, so nothing is trained.
 */
@Command(name = "lr-find", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"fastai's lr_find: an exponential learning-rate sweep on the training data that stops when the loss",
        "diverges, suggests a learning rate (the valley) and saves the curve as SVG. Nothing is trained or saved."})
final class LrFindCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    NetworkOptions model;

    @Mixin
    TrainingOptions training;

    @Option(names = "--start-lr", defaultValue = "1e-7", description = "First learning rate (default: ${DEFAULT-VALUE}).")
    double startLr;

    @Option(names = "--end-lr", defaultValue = "10", description = "Last learning rate (default: ${DEFAULT-VALUE}).")
    double endLr;

    @Option(names = "--iterations", defaultValue = "100", description = "Steps of the sweep (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--no-progress", description = "No progress bar (the sweep's summary is still printed).")
    boolean noProgress;

    @Option(names = "--unfrozen", description = "Sweep with the body trainable (default: frozen when --pretrained is given, as fastai's vision_learner is).")
    boolean unfrozen;

    @Option(names = "--plot", paramLabel = "FILE", defaultValue = "lr_find.svg", description = "Where the curve goes (default: ${DEFAULT-VALUE}).")
    Path plot;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        training.checkNumbers();
        if (!(startLr > 0 && endLr > startLr)) {
            throw new GraftException("--start-lr and --end-lr must satisfy 0 < start < end, got " + startLr + " and "
                + endLr);
        }
        if (iterations < 5) {
            throw new GraftException("--iterations must be at least 5, got " + iterations);
        }
        ImageDataset data = training.loadData();
        if (model.classes == null) {
            model.classes = data.task() == Task.REGRESSION ? 1 : data.classes().size();
        }
        Network net = model.build();
        Map<String, Tensor> body = training.bodyWeights(net);
        LrFindPlot.checkTarget(plot, training.pretrained);
        data = training.checkImages(data, spec.commandLine().getErr());
        boolean frozen = body != null && !unfrozen;
        LearnerBuilder b = Learner.builder(data).setNetwork(net).optBodyWeights(body).optSize(training.size)
            .optBatchSize(training.batch).optWorkers(training.workers()).optMaxImageBytes(training.maxImageBytes())
            .optSeed(training.seed).optFreezeBatchNorm(training.freezeBn);
        if (!noProgress) {
            b.addCallbacks(new ProgressBarCallback());
        }
        try (Learner learner = b.build()) {
            o.printf(Locale.ROOT, "lr_find: %s + head on %d images, device %s, body %s, %d steps from %s to %s%n",
                net.arch(), data.train().size(), learner.device(), frozen ? "frozen" : "trainable", iterations,
                LrFindPlotFmt.fmt(startLr), LrFindPlotFmt.fmt(endLr));
            o.flush();
            if (frozen) {
                learner.freeze();
            }
            LrFind r = learner.lrFind(startLr, endLr, iterations);
            LrFindPlot.write(r, plot, training.pretrained);
            o.printf(Locale.ROOT, "suggested learning rate (valley): %s after %d steps%n", LrFindPlotFmt.fmt(r.valley()),
                r.losses().size());
            o.printf(Locale.ROOT, "curve: %s%n", plot);
        }
        return 0;
    }

    /** Scientific notation with three significant digits, as fastai prints suggestions. */
    static final class LrFindPlotFmt {
        static String fmt(double v) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
    }
}
