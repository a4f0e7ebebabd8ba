package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** resnet18 with fastai's default head: weights in and out, input sizes, memory, gradients and frozen BatchNorm. */
class NetworkBlockResnetTest {
    private final Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
    private NDManager manager;
    private NetworkBlock block;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager("PyTorch");
        block = new NetworkBlock(net);
        block.initialize(manager, 64, 64, Initializer.init(net, 7));
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void parametersAreNamedBySpecFullNames() {
        assertThat(block.parameters().keySet()).containsExactlyElementsOf(net.params().keySet());
        assertThat(block.getParameters().keys()).containsExactlyElementsOf(net.params().keySet());
        assertThat(block.nodeParameters("layer1.0.bn1").keySet()).containsExactly("layer1.0.bn1.weight",
            "layer1.0.bn1.bias", "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var");
        assertThat(block.nodeParameters("layer1.0.add")).isEmpty();
        assertThat(block.parameter("layer1.0.bn1.running_var").requiresGradient()).isFalse();
        assertThat(block.parameter("head.4.weight").requiresGradient()).isTrue();
        int head = net.groups().size() - 1;
        assertThat(block.groupParameters(head).keySet()).allMatch(n -> n.startsWith("head."));
        long total = 0;
        for (int g = 0; g < net.groups().size(); g++) {
            total += block.groupParameters(g).size();
        }
        assertThat(total).isEqualTo(net.params().size());
    }

    @Test
    void weightsRoundTripBitExactly() {
        Map<String, Tensor> in = Initializer.init(net, 12345);
        block.loadWeights(in);
        Map<String, Tensor> out = block.readWeights();
        assertThat(out.keySet()).containsExactlyElementsOf(net.params().keySet());
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            assertThat(out.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
        // a subset leaves the rest alone
        Tensor fc = Tensor.ofFloats(new long[] {3, 512}, new float[3 * 512]);
        block.updateWeights(Map.of("head.8.weight", fc));
        assertThat(block.readWeights().get("head.8.weight")).isEqualTo(fc);
        assertThat(block.readWeights().get("conv1.weight")).isEqualTo(in.get("conv1.weight"));
    }

    @Test
    void weightsThatDoNotFitAreRefusedInOneLine() {
        Map<String, Tensor> w = new LinkedHashMap<>(Initializer.init(net, 1));
        w.remove("head.8.weight");
        w.put("head.6.bias", Tensor.ofFloats(new long[] {3}, new float[3]));
        w.put("fc.weight", Tensor.ofFloats(new long[] {1}, new float[1]));
        assertThatThrownBy(() -> block.loadWeights(w))
            .isInstanceOf(GraftException.class)
            .hasMessage("weights do not fit resnet18: 1 missing (head.8.weight); 1 unknown (fc.weight); "
                + "1 of the wrong shape (head.6.bias [3] vs [512])");
    }

    @Test
    void forwardWorksAtTwoInputSizes() {
        for (int[] size : new int[][] {{64, 64}, {96, 80}}) {
            try (NDManager batch = manager.newSubManager()) {
                NDArray x = batch.randomNormal(new Shape(2, 3, size[0], size[1]));
                ParameterStore store = new ParameterStore(batch, false);
                NDArray y1 = block.forward(store, new NDList(x), false).singletonOrThrow();
                NDArray y2 = block.forward(store, new NDList(x), false).singletonOrThrow();
                assertThat(y1.getShape()).isEqualTo(new Shape(2, 3));
                assertThat(block.getOutputShapes(new Shape[] {x.getShape()})).containsExactly(new Shape(2, 3));
                assertThat(y1.toFloatArray()).containsExactly(y2.toFloatArray());
                assertThat(x.isReleased()).isFalse();
            }
        }
        try (NDManager batch = manager.newSubManager()) {
            NDArray gray = batch.zeros(new Shape(1, 1, 64, 64));
            assertThatThrownBy(() -> block.forward(new ParameterStore(batch, false), new NDList(gray), false))
                .isInstanceOf(GraftException.class).hasMessageContaining("[N, 3, H, W]");
        }
    }

    @Test
    void forwardsInASubManagerPerBatchDoNotAccumulate() throws IOException {
        int before = resources(manager);
        long rssStart = 0;
        for (int i = 0; i < 60; i++) {
            if (i == 10) {
                rssStart = rssKb();
            }
            try (NDManager batch = manager.newSubManager()) {
                NDArray x = batch.randomNormal(new Shape(4, 3, 64, 64));
                NDArray y = block.forward(new ParameterStore(batch, false), new NDList(x), i % 2 == 0)
                    .singletonOrThrow();
                // intermediates are closed as soon as they are read: only the input and the output remain
                assertThat(resources(batch)).isEqualTo(2);
                assertThat(y.getShape()).isEqualTo(new Shape(4, 3));
            }
        }
        long growth = rssKb() - rssStart;
        System.out.println("RSS growth over 50 forwards: " + growth + " kB");
        assertThat(resources(manager)).isEqualTo(before);
        assertThat(growth).isLessThan(100_000);
    }

    @Test
    void gradientsReachTheLearnableParametersAndFrozenBatchNormKeepsItsStatistics() {
        List<String> bodyBn = new ArrayList<>();
        for (Node n : net.bodyNodes()) {
            if (n.layer() instanceof Layer.BatchNorm) {
                bodyBn.add(n.id());
            }
        }
        block.setEvalBatchNorm(bodyBn);
        Map<String, Tensor> before = block.readWeights();
        try (NDManager batch = manager.newSubManager();
             GradientCollector gc = batch.getEngine().newGradientCollector()) {
            NDArray x = batch.randomNormal(new Shape(4, 3, 64, 64));
            NDArray y = block.forward(new ParameterStore(batch, false), new NDList(x), true).singletonOrThrow();
            gc.backward(y.square().sum());
            for (String name : List.of("conv1.weight", "layer4.1.bn2.weight", "head.4.weight", "head.8.weight")) {
                NDArray grad = block.parameter(name).getArray().getGradient();
                assertThat(grad.abs().sum().getFloat()).as(name).isGreaterThan(0f);
            }
        }
        Map<String, Tensor> after = block.readWeights();
        for (String id : bodyBn) {
            assertThat(after.get(id + ".running_mean")).isEqualTo(before.get(id + ".running_mean"));
            assertThat(after.get(id + ".running_var")).isEqualTo(before.get(id + ".running_var"));
        }
        assertThat(after.get("head.2.running_mean")).isNotEqualTo(before.get("head.2.running_mean"));
        assertThatThrownBy(() -> block.setEvalBatchNorm(List.of("layer1.0.conv1")))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void freezingAGroupStopsItsGradients() {
        for (int g = 0; g < net.groups().size() - 1; g++) {
            block.groupParameters(g).values().forEach(p -> p.freeze(true));
        }
        try (NDManager batch = manager.newSubManager();
             GradientCollector gc = batch.getEngine().newGradientCollector()) {
            NDArray x = batch.randomNormal(new Shape(2, 3, 64, 64));
            NDArray y = block.forward(new ParameterStore(batch, false), new NDList(x), true).singletonOrThrow();
            gc.backward(y.square().sum());
            Parameter head = block.parameter("head.8.weight");
            assertThat(head.getArray().getGradient().abs().sum().getFloat()).isGreaterThan(0f);
            assertThat(block.parameter("conv1.weight").getArray().hasGradient()).isFalse();
        }
    }

    /** Arrays and sub-managers a manager currently holds (DJL keeps the count to itself). */
    private static int resources(NDManager m) {
        try {
            Field f = BaseNDManager.class.getDeclaredField("resources");
            f.setAccessible(true);
            return ((Map<?, ?>) f.get(m)).size();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return 0;
    }
}
