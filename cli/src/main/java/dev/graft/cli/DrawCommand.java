package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.models.draw.NetworkDrawing;
import dev.graft.models.draw.Stage;
import dev.graft.models.spec.Network;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code graft draw}: the model as an SVG picture, for people who think in diagrams rather than tables.
 *
 * <p>It shows what {@code graft summary} lists, at the level of detail that explains a fine-tune: the backbone in its
 * stages, where it was cut, the head layer by layer, shapes, parameter counts, layer groups and what is frozen.
 */
@Command(name = "draw", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Draw a body + head model as an SVG that opens in any browser.",
        "The body collapsed into its stages with the cut marked, the head layer by layer, tensor shapes on the"
            + " arrows, parameter counts, layer groups in the margin and frozen parts hatched."})
final class DrawCommand implements Callable<Integer> {
    /** The key a checkpoint's {@code info} may carry with the first layer group that was training when saved. */
    static final String FROZEN_BELOW_KEY = "frozen_below";

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Draw the network of a checkpoint folder written by graft train (instead of --arch and --classes).")
    Path checkpoint;

    @Mixin
    NetworkOptions model;

    @Option(names = "--size", paramLabel = "N|HxW", description = "Input size for the shapes: N or HxW (default: the checkpoint's, else 224).")
    String size;

    @Option(names = "--freeze-to", paramLabel = "N", description = {
        "Trainable state shown, fastai's freeze_to(N): -1 = freeze() (a new learner), 0 = unfreeze().",
        "Default: -1 as graft summary; with --checkpoint the state it recorded, else 0 (where fine_tune ends)."})
    Integer freezeTo;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .svg file to write.")
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        int[] hw = size == null ? null : CliOptions.parseSize(size);
        NetworkDrawing.Builder b = NetworkDrawing.builder();
        Network network;
        String stateNote = null;
        if (checkpoint != null) {
            List<String> given = networkOptionsGiven();
            if (!given.isEmpty()) {
                throw new GraftException("--checkpoint carries its network; drop " + String.join(", ", given));
            }
            Checkpoint c = Checkpoint.read(checkpoint);
            network = c.network();
            b.optLabels(c.labels()).optTask(c.task());
            if (hw == null) {
                hw = new int[] {c.preprocessing().height(), c.preprocessing().width()};
            }
            String from = "checkpoint " + checkpoint + " (" + c.epochsDone() + " epochs)";
            if (freezeTo == null) {
                JsonNode recorded = c.info().get(FROZEN_BELOW_KEY);
                if (recorded != null && recorded.isInt()) {
                    freezeTo = recorded.asInt();
                    stateNote = "the trainable state recorded in the checkpoint";
                } else {
                    freezeTo = 0;
                    stateNote = "unfrozen: the checkpoint does not record its trainable state, and fine_tune ends unfrozen";
                }
                from += "; shown " + stateNote;
            }
            b.optSource(from);
        } else {
            network = model.build();
        }
        if (hw == null) {
            hw = new int[] {224, 224};
        }
        NetworkDrawing drawing = b.setNetwork(network).optInputSize(hw[0], hw[1])
            .optFreezeTo(freezeTo == null ? -1 : freezeTo).build();
        drawing.write(out, checkpoint == null ? new Path[0] : RunFolder.files(checkpoint).toArray(Path[]::new));
        List<Stage> stages = drawing.stages();
        o.printf(Locale.ROOT, "%s: body in %d stages (%s), cut at %s; head of %d layers; layer groups below %d frozen%n",
            network.arch(), stages.size(), stages.stream().map(Stage::name).collect(Collectors.joining(", ")),
            network.bodyEnd(), network.headNodes().size(), drawing.frozenBelow());
        if (stateNote != null) {
            o.println("trainable state: " + stateNote + " (--freeze-to N shows another)");
        }
        o.printf(Locale.ROOT, "wrote %s (%.1f KB): open it in a browser%n", out, Files.size(out) / 1024.0);
        return 0;
    }

    /** The network options (--arch, --lin-ftrs, ...) typed on this command line. */
    private List<String> networkOptionsGiven() {
        Set<String> networkOptions = spec.mixins().get("model").options().stream().map(OptionSpec::longestName)
            .collect(Collectors.toSet());
        return spec.commandLine().getParseResult().matchedOptions().stream().map(OptionSpec::longestName)
            .filter(networkOptions::contains).distinct().toList();
    }
}
