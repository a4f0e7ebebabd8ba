package dev.graft.benchmarks.latency;

import dev.graft.benchmarks.proof.TrainedLikeWeights;
import dev.graft.models.GraftException;
import dev.graft.models.arch.Architectures;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Checkpoints for the architecture table's export proof and latency: each architecture with fastai's default head,
 * {@value #CLASSES} classes, at {@value #SIZE} px, with {@link TrainedLikeWeights trained-like BatchNorm statistics},
 * written to {@code DIR/<arch>}. Latency does not depend on the weight values, but the export proof at 224 px does:
 * identity BatchNorms would prove nothing about the folds, so the proof runs on statistics like a trained network's,
 * calibrated at the size the proof runs at (statistics measured at 64 px leave the mobile bodies saturated at 224).
 *
 * <pre>
 * java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.ArchCheckpoints --list
 * java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.ArchCheckpoints DIR [arch,arch,... [IMAGES]]
 * </pre>
 * {@code --list} prints every architecture {@code --arch} accepts, one a line, in {@link Architectures}' order: the
 * list the table covers, taken from the code so that a newly registered architecture joins it. Without architectures,
 * all of them are written. IMAGES is the number of calibration images per pass (default {@value #CALIBRATION_BATCH}).
 * A checkpoint is written atomically ({@link Checkpoint#write}); an unknown architecture is
 * one line on standard error and exit status 1 before anything is written; an architecture that fails is one line,
 * the others are still written, and the exit status is 1.
 */
public final class ArchCheckpoints {
    /** Outputs of fastai's head: the same head as the earlier latency tables' checkpoints (SeededCheckpoints). */
    public static final int CLASSES = 10;
    /** The input size the checkpoints are made for and the table is measured at. */
    public static final int SIZE = 224;
    /**
     * Images per BatchNorm calibration pass at {@value #SIZE} px by default, as the export tests and ExportProofBench
     * calibrate at the proof size. Fewer are cheaper but not trained-like: the head's BatchNorm1d then sees only that
     * many values per feature, and with 4 squeezenet1_1's probabilities saturated (its own float32 error 2.3e-8
     * instead of 1.4e-5 with 8), which leaves the proof nothing to measure.
     */
    public static final int CALIBRATION_BATCH = 8;
    /** The weights' seed. */
    public static final long SEED = 0;

    private ArchCheckpoints() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (GraftException e) {
            System.err.println("ArchCheckpoints: " + e.getMessage());
            System.exit(1);
        }
    }

    static void run(String[] args) {
        if (args.length == 1 && args[0].equals("--list")) {
            Architectures.names().forEach(System.out::println);
            return;
        }
        if (args.length < 1 || args.length > 3 || args[0].startsWith("-")) {
            throw new GraftException("usage: ArchCheckpoints --list | ArchCheckpoints DIR [arch,arch,... [IMAGES]]");
        }
        int images = CALIBRATION_BATCH;
        if (args.length == 3) {
            try {
                images = Integer.parseInt(args[2]);
            } catch (NumberFormatException e) {
                images = 0;
            }
            if (images < 2 || images > 64) {
                throw new GraftException("calibration images per pass must be 2 to 64 (the head's BatchNorm1d needs"
                    + " two), not '" + args[2] + "'");
            }
        }
        Path dir = Path.of(args[0]);
        List<String> archs = new ArrayList<>();
        for (String a : (args.length > 1 ? args[1] : String.join(",", Architectures.names())).split(",")) {
            if (!a.isBlank()) {
                archs.add(a.strip());
            }
        }
        List<String> known = Architectures.names();
        for (String a : archs) {
            if (!known.contains(a)) {
                throw new GraftException("unknown architecture '" + a + "' (known: " + String.join(", ", known) + ")");
            }
        }
        List<String> labels = IntStream.range(0, CLASSES).mapToObj(i -> "class" + i).toList();
        List<String> failed = new ArrayList<>();
        for (String arch : archs) {
            long start = System.nanoTime();
            Path out = dir.resolve(arch);
            try {
                Network net = VisionModel.builder().setArch(arch).setClasses(CLASSES).build();
                new Checkpoint(net, TrainedLikeWeights.of(net, SEED, images, SIZE), Task.SINGLE_LABEL,
                    labels, Preprocessing.imagenet(SIZE, SIZE), 0.5, 0, null).write(out);
            } catch (RuntimeException e) {
                // one architecture the trainer cannot run yet must not cost the others their checkpoints
                System.err.println("ArchCheckpoints: " + arch + " failed: " + e.getClass().getSimpleName() + ": "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
                failed.add(arch);
                continue;
            }
            System.out.printf(Locale.ROOT, "wrote %s (%s, trained-like BatchNorm statistics at %d px, %d images a"
                + " pass) in %.1f s%n", out, arch, SIZE, images, (System.nanoTime() - start) / 1e9);
        }
        if (!failed.isEmpty()) {
            throw new GraftException("no checkpoint for " + String.join(", ", failed));
        }
    }
}
