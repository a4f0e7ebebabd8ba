package dev.graft.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the closing note's checkpoints (resnet18 and resnet50 with fastai's head, 10 classes, 224 px, seeded initial
 * weights) into {@code -Dgraft.bench.models=DIR}; not part of the normal test run. Timing does not depend on the weight
 * values, so initial weights measure what a trained model would.
 *
 * <pre>
 * ./mvnw -B -o -pl benchmarks -am test -Dtest=ClosingNoteCheckpoints -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dgraft.bench.models=/tmp/bench-models
 * </pre>
 */
@EnabledIfSystemProperty(named = "graft.bench.models", matches = ".+")
class ClosingNoteCheckpoints {
    @Test
    void write() {
        Path dir = Path.of(System.getProperty("graft.bench.models"));
        for (String arch : List.of(System.getProperty("graft.bench.archs", "resnet18,resnet50").split(","))) {
            Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
            List<String> labels = IntStream.range(0, 10).mapToObj(i -> "class" + i).toList();
            Path out = dir.resolve(arch + "-224");
            new Checkpoint(net, Initializer.init(net, 224), Task.SINGLE_LABEL, labels, Preprocessing.imagenet(224, 224),
                0.5, 0, null).write(out);
            assertThat(Checkpoint.read(out).network().arch()).isEqualTo(arch);
        }
    }
}
