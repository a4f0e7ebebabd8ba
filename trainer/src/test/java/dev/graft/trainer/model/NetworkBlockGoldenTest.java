package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightLoader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DJL's forward reproduces PyTorch's logits for the same weights and inputs. */
class NetworkBlockGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"resnet18_c3_64_softmax", "resnet18_c3_64_sigmoid"})
    void evalLogitsMatchPytorch(String name) {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        NetworkBlock block = new NetworkBlock(net);
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
             TensorFile file = SafeTensors.open(Golden.file("resnet18_c3_64.fastai.safetensors"))) {
            block.initialize(manager, 64, 64, WeightLoader.load(net, file.all(), LoadMode.ALL).tensors());
            float[] expected = Golden.floats(name + ".logits.bin");
            try (NDManager batch = manager.newSubManager()) {
                NDArray x = batch.create(Golden.floats(name + ".input.bin"), new Shape(4, 3, 64, 64));
                NDArray logits = block.forward(new ParameterStore(batch, false), new NDList(x), false)
                    .singletonOrThrow();
                assertThat(logits.getShape()).isEqualTo(new Shape(4, 3));
                float[] actual = logits.toFloatArray();
                double max = 0;
                for (int i = 0; i < expected.length; i++) {
                    max = Math.max(max, Math.abs(actual[i] - expected[i]));
                }
                System.out.printf("golden %s: max |logit difference| = %.3g%n", name, max);
                assertThat(max).isLessThanOrEqualTo(1e-4);
            }
        }
    }
}
