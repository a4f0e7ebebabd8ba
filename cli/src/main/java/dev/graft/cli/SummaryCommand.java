package dev.graft.cli;

import dev.graft.models.GraftException;
import dev.graft.models.arch.Cut;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Network;
import dev.graft.models.summary.NetworkSummary;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code graft summary}: what was added to the backbone, layer by layer. */
@Command(name = "summary", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Show what was added to the backbone: every layer of a body + head model.",
        "Output shape, parameters, trainable or frozen, and layer group of each layer, with the body (the cut",
        "backbone) and the head (added by Graft, as fastai's create_head) told apart, then the totals."})
final class SummaryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--arch", required = true, description = "Backbone: resnet18, resnet34, resnet50, resnet101, resnet152.")
    String arch;

    @Option(names = "--classes", required = true, description = "Outputs of the head (classes, or regression targets).")
    int classes;

    @Option(names = "--size", defaultValue = "224", description = "Input size: N or HxW (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--n-in", defaultValue = "3", description = "Input channels (fastai's n_in; default: ${DEFAULT-VALUE}).")
    int nIn;

    @Option(names = "--cut", description = "Where to cut the backbone: children to keep (negative from the end) or 'auto' (default: the architecture's, -2 for ResNets).")
    String cut;

    @Option(names = "--lin-ftrs", split = ",", description = "Hidden layer sizes of the head (default: 512).")
    List<Integer> linFtrs;

    @Option(names = "--no-lin-ftrs", description = "No hidden layer: pool, then one Linear.")
    boolean noLinFtrs;

    @Option(names = "--ps", split = ",", description = "Dropout: one value (halved for hidden layers) or one per Linear (default: 0.5).")
    List<Double> ps;

    @Option(names = "--no-pool", description = "No pooling in the head (the body must end flat).")
    boolean noPool;

    @Option(names = "--no-concat-pool", description = "Average pooling only, instead of max + average.")
    boolean noConcatPool;

    @Option(names = "--first-bn", arity = "1", defaultValue = "true", description = "BatchNorm before the first Linear (default: ${DEFAULT-VALUE}).")
    boolean firstBn;

    @Option(names = "--bn-final", description = "Append a BatchNorm1d over the outputs.")
    boolean bnFinal;

    @Option(names = "--lin-first", description = "Linear before BatchNorm and Dropout in each block.")
    boolean linFirst;

    @Option(names = "--y-range", split = ",", description = "Regression output range low,high (appends SigmoidRange).")
    List<Double> yRange;

    @Option(names = "--freeze-to", defaultValue = "-1", description = "Trainable state shown: fastai's freeze_to(n); -1 = freeze() (a new learner), 0 = unfreeze() (default: ${DEFAULT-VALUE}).")
    int freezeTo;

    @Option(names = "--weights", paramLabel = "FILE", description = "Check that a whole-model safetensors file (fastai state dict or Graft names) fits, strictly.")
    Path weights;

    @Option(names = "--pretrained", paramLabel = "FILE", description = "Check that a pretrained-body safetensors file (torchvision names) fits the body.")
    Path pretrained;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Override
    public Integer call() {
        int[] hw = CliOptions.parseSize(size);
        Network net = build();
        NetworkSummary summary = new NetworkSummary(net, hw[0], hw[1], freezeTo);
        List<String> notes = new ArrayList<>();
        if (weights != null) {
            notes.add(check(net, weights, LoadMode.ALL));
        }
        if (pretrained != null) {
            notes.add(check(net, pretrained, LoadMode.BODY));
        }
        if (json) {
            ObjectNode tree = summary.toJson();
            ArrayNode checked = tree.putArray("weights");
            notes.forEach(checked::add);
            spec.commandLine().getOut().print(tree.toPrettyString() + System.lineSeparator());
        } else {
            spec.commandLine().getOut().print(summary.toText());
            notes.forEach(spec.commandLine().getOut()::println);
        }
        return 0;
    }

    /** Loads the file strictly into the network (throws a one-line error when it does not fit). */
    private static String check(Network net, Path file, LoadMode mode) {
        try (TensorFile tensors = SafeTensors.open(file)) {
            WeightLoader.Loaded loaded = WeightLoader.load(net, tensors.all(), mode);
            return "weights: " + file + " fits the " + (mode == LoadMode.ALL ? "whole model" : "body") + " ("
                + loaded.tensors().size() + " tensors, " + loaded.naming().name().toLowerCase(java.util.Locale.ROOT)
                + " names" + (loaded.ignored().isEmpty() ? "" : ", " + loaded.ignored().size() + " ignored")
                + (loaded.firstConvAdapted() ? ", first conv adapted to " + net.inputChannels() + " channels" : "") + ")";
        }
    }

    Network build() {
        HeadOptions.Builder head = HeadOptions.builder()
            .optPool(!noPool)
            .optConcatPool(!noConcatPool)
            .optFirstBn(firstBn)
            .optBnFinal(bnFinal)
            .optLinFirst(linFirst);
        if (noLinFtrs && linFtrs != null) {
            throw new GraftException("--lin-ftrs and --no-lin-ftrs contradict each other");
        }
        if (noLinFtrs) {
            head.optLinFtrs(List.of());
        } else if (linFtrs != null) {
            head.optLinFtrs(linFtrs);
        }
        if (ps != null) {
            head.optPs(ps);
        }
        if (yRange != null) {
            if (yRange.size() != 2) {
                throw new GraftException("--y-range takes two numbers, low,high; got " + yRange.size());
            }
            head.optYRange(yRange.get(0), yRange.get(1));
        }
        VisionModel.Builder b = VisionModel.builder().setArch(arch).setClasses(classes).optInputChannels(nIn)
            .optHead(head.build());
        if (cut != null) {
            b.optCut(Cut.parse(cut));
        }
        return b.build();
    }
}
