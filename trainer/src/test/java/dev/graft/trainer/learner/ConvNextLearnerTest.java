package dev.graft.trainer.learner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.ConvNeXt;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.SyntheticDataset;
import dev.graft.trainer.schedule.LearningRates;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ConvNeXt trains with the {@link Learner} from random initialisation, through fastai's default split (body, head): a
 * frozen first epoch leaves the body's convolutions bit-identical while its layer norms train (fastai's train_bn
 * keeps every {@code norm_types} layer trainable, and torchvision's {@code LayerNorm2d} is an {@code nn.LayerNorm}),
 * then unfrozen epochs lift validation accuracy on the 3-class synthetic set to at least 0.5 (chance 1/3).
 *
 * <p>The body is narrowed (widths divided by 4, one block a stage; modules, cut and split kept). At 64 px, 80 images a
 * class, batch 16, 1 + 6 epochs at lr 4e-3 reached 0.625 with the same epoch table in three runs, in 89 s (load
 * average 8) to 130 s (load average 13) of wall time on two cores shared with other builds; an uncontended epoch took
 * 5 to 7 s. Tried on the same cores: lr 3e-3 reached 0.604 (48 s); 8 epochs at 2e-3, 0.646 (144 s); 48 px,
 * 0.479 (the textures that separate the classes need the pixels); widths / 8, 0.500 (6 epochs at 3e-3) and 0.563
 * (10 epochs at 2e-3), too close to the bound to keep. The frozen epoch alone gives 0.54 to 0.56: the head learns on
 * the random body, whose layer norms adapt.
 */
class ConvNextLearnerTest {

    @TempDir
    Path tmp;

    @Test
    void freezesTheBodyButItsLayerNormsThenLearnsTheSyntheticSet() {
        int divisor = Integer.getInteger("graft.convnext.divisor", 4);
        int blocks = Integer.getInteger("graft.convnext.blocks", 1);
        int size = Integer.getInteger("graft.convnext.size", 64);
        int perClass = Integer.getInteger("graft.convnext.perClass", 80);
        int epochs = Integer.getInteger("graft.convnext.epochs", 6);
        double lr = Double.parseDouble(System.getProperty("graft.convnext.lr", "4e-3"));
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("d"), 3, size, perClass, false, 7);
        Network net = VisionModel.builder().setArch(ConvNeXt.tiny().narrowed(divisor, blocks)).setClasses(3).build();
        long t0 = System.nanoTime();
        try (Learner learner = Learner.builder(data).setNetwork(net).optSize(size).optBatchSize(16).optWorkers(2)
                .optSeed(1).addCallbacks(EpochTable.printingTo(System.out)).build()) {
            learner.freeze();
            float[] stem = learner.block().parameter("features.0.0.weight").getArray().toFloatArray();
            float[] deep = learner.block().parameter("features.7.0.block.3.weight").getArray().toFloatArray();
            float[] norm = learner.block().parameter("features.0.1.weight").getArray().toFloatArray();
            learner.fitOneCycle(1, LearningRates.of(lr));
            assertThat(learner.block().parameter("features.0.0.weight").getArray().toFloatArray()).containsExactly(stem);
            assertThat(learner.block().parameter("features.7.0.block.3.weight").getArray().toFloatArray())
                .containsExactly(deep);
            assertThat(learner.block().parameter("features.0.1.weight").getArray().toFloatArray())
                .as("a layer norm of the frozen body trains (train_bn)").isNotEqualTo(norm);

            learner.unfreeze();
            List<EpochResult> history = learner.fitOneCycle(epochs, LearningRates.of(lr));
            double last = history.get(history.size() - 1).metric();
            System.out.printf("%s: %d + %d epochs at %d px, %d a class, lr %s in %.1f s, valid accuracy %.3f%n",
                net.arch(), 1, epochs, size, perClass, lr, (System.nanoTime() - t0) / 1e9, last);
            assertThat(learner.block().parameter("features.0.0.weight").getArray().toFloatArray()).isNotEqualTo(stem);
            assertThat(last).isGreaterThanOrEqualTo(0.5);
        }
    }

    @Test
    void layerNormsStayTrainableInFrozenGroupsUnlessNormLayersAreFrozenToo() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("small"), 3, 32, 2, false, 7);
        Network net = VisionModel.builder().setArch(ConvNeXt.tiny().narrowed(8, 1)).setClasses(3).build();
        for (boolean freezeNorms : new boolean[] {false, true}) {
            try (Learner learner = Learner.builder(data).setNetwork(net).optSize(32).optBatchSize(2).optWorkers(1)
                    .optFreezeBatchNorm(freezeNorms).build()) {
                learner.freeze();
                // the stem's LayerNorm2d, a block's nn.LayerNorm, a downsampling LayerNorm2d
                for (String norm : List.of("features.0.1.weight", "features.0.1.bias", "features.1.0.block.2.weight",
                        "features.6.0.bias")) {
                    assertThat(learner.block().parameter(norm).requiresGradient()).as(norm).isEqualTo(!freezeNorms);
                }
                for (String other : List.of("features.0.0.weight", "features.1.0.block.3.weight",
                        "features.1.0.layer_scale")) {
                    assertThat(learner.block().parameter(other).requiresGradient()).as(other).isFalse();
                }
                learner.unfreeze();
                assertThat(learner.block().parameter("features.0.0.weight").requiresGradient()).isTrue();
                assertThat(learner.block().parameter("features.0.1.weight").requiresGradient()).isTrue();
            }
        }
    }
}
