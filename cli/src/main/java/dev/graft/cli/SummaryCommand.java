package dev.graft.cli;

import dev.graft.models.arch.Architectures;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.FirstConv;
import dev.graft.models.summary.NetworkSummary;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightFiles;
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

    @picocli.CommandLine.Mixin
    NetworkOptions model;

    @Option(names = "--size", defaultValue = "224", description = "Input size: N or HxW (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--freeze-to", defaultValue = "-1", description = "Trainable state shown: fastai's freeze_to(n); -1 = freeze() (a new learner), 0 = unfreeze() (default: ${DEFAULT-VALUE}).")
    int freezeTo;

    @Option(names = "--weights", paramLabel = "FILE", description = "Check that a whole-model weight file (safetensors or PyTorch .pth/.pt/.bin/.pkl; fastai state dict, Graft names, or for ConvNeXt timm names) fits, strictly.")
    Path weights;

    @Option(names = "--pretrained", paramLabel = "FILE", description = "Check that a pretrained-body weight file (safetensors or PyTorch .pth; torchvision names, or for ConvNeXt timm names) fits the body.")
    Path pretrained;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Override
    public Integer call() {
        int[] hw = CliOptions.parseSize(size);
        Network net = build();
        String bodyWeights = weights != null ? "weights from " + weights
            : pretrained != null ? "pretrained weights from " + pretrained : null;
        NetworkSummary summary = new NetworkSummary(net, hw[0], hw[1], freezeTo, bodyWeights);
        List<String> notes = new ArrayList<>();
        String meta = fastaiMeta(net);
        String firstConv = firstConvRule(net);
        if (weights != null) {
            notes.add(check(net, weights, LoadMode.ALL));
        }
        if (pretrained != null) {
            notes.add(check(net, pretrained, LoadMode.BODY));
        }
        if (json) {
            ObjectNode tree = summary.toJson();
            if (meta != null) {
                tree.put("fastai_meta", meta);
            }
            if (firstConv != null) {
                tree.put("first_conv", firstConv);
            }
            ArrayNode checked = tree.putArray("weights");
            notes.forEach(checked::add);
            spec.commandLine().getOut().print(tree.toPrettyString() + System.lineSeparator());
        } else {
            spec.commandLine().getOut().print(summary.toText());
            if (meta != null) {
                spec.commandLine().getOut().println("Cut and split: " + meta);
            }
            if (firstConv != null) {
                spec.commandLine().getOut().println("First conv: " + firstConv);
            }
            notes.forEach(spec.commandLine().getOut()::println);
        }
        return 0;
    }

    /** Loads the file strictly into the network (throws a one-line error when it does not fit). */
    private static String check(Network net, Path file, LoadMode mode) {
        try (TensorFile tensors = WeightFiles.open(file)) {
            WeightLoader.Loaded loaded = WeightLoader.load(net, tensors.all(), mode);
            return "weights: " + file + " fits the " + (mode == LoadMode.ALL ? "whole model" : "body") + " ("
                + loaded.tensors().size() + " tensors, " + loaded.naming().name().toLowerCase(java.util.Locale.ROOT)
                + " names" + (loaded.ignored().isEmpty() ? "" : ", " + loaded.ignored().size() + " ignored")
                + (loaded.firstConvAdapted() ? ", first conv adapted to " + net.inputChannels() + " channels" : "") + ")";
        }
    }

    /** Where the architecture's cut and split come from in fastai (its model_meta entry, or the default meta). */
    private static String fastaiMeta(Network net) {
        return Architectures.names().contains(net.arch()) ? Architectures.get(net.arch()).fastaiMeta() : null;
    }

    /** fastai's _update_first_layer as applied to this network, when n_in is not 3. */
    private static String firstConvRule(Network net) {
        int nIn = net.inputChannels();
        if (nIn == 3) {
            return null;
        }
        return FirstConv.of(net).map(n -> {
            Layer.Conv2d c = (Layer.Conv2d) n.layer();
            String weight = nIn == 1 ? "the sum of the pretrained RGB weights"
                : nIn == 2 ? "the pretrained R and G weights times 1.5"
                : "the pretrained RGB weights, then zeros for channels 4.." + nIn;
            return n.id() + " rebuilt for n_in=" + nIn + " (fastai's _update_first_layer): weight " + weight
                + (c.bias() ? "; bias freshly initialised (uniform within 1/sqrt(fan_in)), the pretrained bias is not kept"
                    : "; no bias");
        }).orElse(null);
    }

    Network build() {
        return model.build();
    }
}
