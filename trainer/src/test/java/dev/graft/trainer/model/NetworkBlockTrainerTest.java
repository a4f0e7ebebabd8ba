package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The block under DJL's own trainer: one SGD step moves the weights and, in place, the running statistics. */
class NetworkBlockTrainerTest {

    @Test
    void aTrainerStepUpdatesWeightsAndRunningStatistics() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        NetworkBlock block = new NetworkBlock(net);
        try (Model model = Model.newInstance("graft", Device.cpu(), "PyTorch")) {
            // weights first: DJL's trainer only fills parameters that are not initialised yet
            block.initialize(model.getNDManager(), 64, 64, Initializer.init(net, 5));
            model.setBlock(block);
            Map<String, Tensor> before = block.readWeights();
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build())
                .optDevices(new Device[] {Device.cpu()});
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(4, 3, 64, 64));
                assertThat(block.readWeights().get("conv1.weight")).isEqualTo(before.get("conv1.weight"));
                try (NDManager batchManager = trainer.getManager().newSubManager()) {
                    NDList data = new NDList(batchManager.randomNormal(new Shape(4, 3, 64, 64)));
                    NDList labels = new NDList(batchManager.create(new float[] {0, 1, 2, 1}));
                    Batch batch = new Batch(batchManager, data, labels, 4, Batchifier.STACK, Batchifier.STACK, 0, 1);
                    EasyTrain.trainBatch(trainer, batch);
                    trainer.step();
                }
            }
            Map<String, Tensor> after = block.readWeights();
            for (String name : new String[] {"conv1.weight", "head.8.weight", "layer2.0.bn1.bias",
                                             "bn1.running_mean", "head.6.running_var"}) {
                assertThat(after.get(name)).as(name).isNotEqualTo(before.get(name));
                for (float v : after.get(name).toFloatArray()) {
                    assertThat(Float.isFinite(v)).as(name).isTrue();
                }
            }
        }
    }
}
