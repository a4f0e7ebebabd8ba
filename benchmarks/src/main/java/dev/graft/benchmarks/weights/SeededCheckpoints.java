package dev.graft.benchmarks.weights;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Writes checkpoints to benchmark: each architecture with fastai's head, 10 classes, 224 px and seeded initial weights,
 * into {@code DIR/<arch>-224}. Timing does not depend on the weight values, so initial weights measure what a trained
 * model would, and nobody has to train six networks first.
 *
 * <pre>
 * java -cp cli/target/graft-cli.jar dev.graft.benchmarks.weights.SeededCheckpoints DIR [arch,arch,...]
 * </pre>
 * The architectures default to resnet18,resnet50.
 */
public final class SeededCheckpoints {
    private SeededCheckpoints() {
    }

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: SeededCheckpoints DIR [arch,arch,...]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        for (String arch : List.of((args.length > 1 ? args[1] : "resnet18,resnet50").split(","))) {
            Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
            List<String> labels = IntStream.range(0, 10).mapToObj(i -> "class" + i).toList();
            Path out = dir.resolve(arch + "-224");
            new Checkpoint(net, Initializer.init(net, 224), Task.SINGLE_LABEL, labels, Preprocessing.imagenet(224, 224),
                0.5, 0, null).write(out);
            if (!Checkpoint.read(out).network().arch().equals(arch)) {
                throw new IllegalStateException(out + " does not read back as " + arch);
            }
            System.out.println("wrote " + out);
        }
    }
}
