package dev.graft.cli;

import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code graft data}: datasets for demos and tests. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Make and inspect image datasets.",
    subcommands = {DataCommand.Synth.class})
final class DataCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code graft data synth}: the only place Graft makes data; loading it uses the same code as real folders. */
    @Command(name = "synth", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a synthetic image dataset: coloured shapes on noisy backgrounds that a CNN must learn.",
            "Single-label: DIR/train/<shape>/ and DIR/valid/<shape>/; multi-label: DIR/images/ and DIR/labels.csv."})
    static final class Synth implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write (created).")
        Path out;

        @Option(names = "--classes", defaultValue = "3", description = "Shape classes, 2 to 8 (default: ${DEFAULT-VALUE}).")
        int classes;

        @Option(names = "--size", defaultValue = "64", description = "Image side in pixels (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--per-class", defaultValue = "200", description = "Images per class (default: ${DEFAULT-VALUE}).")
        int perClass;

        @Option(names = "--multi-label", description = "Several shapes per image, labels in labels.csv.")
        boolean multiLabel;

        @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            long start = System.nanoTime();
            ImageDataset ds = SyntheticDataset.generate(out, classes, size, perClass, multiLabel, seed);
            double secs = (System.nanoTime() - start) / 1e9;
            spec.commandLine().getOut().printf(java.util.Locale.ROOT,
                "wrote %d training and %d validation images (%s, classes: %s) to %s in %.1f s%n",
                ds.train().size(), ds.valid().size(), ds.task().id(), String.join(", ", ds.classes()), out, secs);
            return 0;
        }
    }
}
