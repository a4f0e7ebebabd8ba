package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The mobile networks' layers on hand-made tensors, against PyTorch's definitions (values and gradients). */
class NetworkBlockMobileLayersTest {
    private static final float[] X = {-7, -4, -3, -1.5f, 0, 0.5f, 2.5f, 3, 4, 6, 9, -0.25f};
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private static double relu6(double x) {
        return Math.min(Math.max(x, 0), 6);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static Layer layer(String kind) {
        return switch (kind) {
            case "relu6" -> new Layer.Relu6();
            case "hardswish" -> new Layer.Hardswish();
            case "hardsigmoid" -> new Layer.Hardsigmoid();
            case "silu" -> new Layer.Silu();
            case "sigmoid" -> new Layer.Sigmoid();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** PyTorch's definition of each activation, and its derivative (PyTorch's hardswish backward, away from kinks). */
    private static DoubleUnaryOperator[] reference(String kind) {
        return switch (kind) {
            case "relu6" -> new DoubleUnaryOperator[] {x -> relu6(x), x -> x > 0 && x < 6 ? 1 : 0};
            case "hardswish" -> new DoubleUnaryOperator[] {x -> x * relu6(x + 3) / 6,
                x -> x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6};
            case "hardsigmoid" -> new DoubleUnaryOperator[] {x -> relu6(x + 3) / 6, x -> x > -3 && x < 3 ? 1.0 / 6 : 0};
            case "silu" -> new DoubleUnaryOperator[] {x -> x * sigmoid(x),
                x -> sigmoid(x) * (1 + x * (1 - sigmoid(x)))};
            case "sigmoid" -> new DoubleUnaryOperator[] {x -> sigmoid(x), x -> sigmoid(x) * (1 - sigmoid(x))};
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu6", "hardswish", "hardsigmoid", "silu", "sigmoid"})
    void activationsAndTheirGradientsArePytorchs(String kind) {
        Network net = Network.builder().inputChannels(1).add("act", layer(kind)).group("all", "act").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 3, 4, Map.of());
        DoubleUnaryOperator[] ref = reference(kind);
        try (NDManager batch = manager.newSubManager()) {
            NDArray x = batch.create(X, new Shape(1, 1, 3, 4));
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = block.forward(new ParameterStore(batch, false), new NDList(x), true).singletonOrThrow();
                float[] values = y.toFloatArray();
                gc.backward(y.sum());
                float[] grad = x.getGradient().toFloatArray();
                for (int i = 0; i < X.length; i++) {
                    assertThat((double) values[i]).as(kind + "(" + X[i] + ")").isCloseTo(ref[0].applyAsDouble(X[i]), within(1e-6));
                    boolean kink = X[i] == 3 || X[i] == -3 || X[i] == 0 || X[i] == 6;
                    if (!kink) {
                        assertThat((double) grad[i]).as(kind + "'(" + X[i] + ")").isCloseTo(ref[1].applyAsDouble(X[i]), within(1e-6));
                    }
                }
            }
        }
    }

    @Test
    void squeezeExcitationScalesEachChannelByItsGate() {
        // depthwise 3x3 (groups = channels), then SE: avgpool, fc1, relu, fc2, hardsigmoid, input * gate
        Network net = Network.builder().inputChannels(2)
            .add("dw", new Layer.Conv2d(2, 2, 3, 3, 1, 1, 1, 1, 1, 2, false))
            .add("se.avgpool", new Layer.AvgPool())
            .add("se.fc1", Layer.Conv2d.square(2, 1, 1, 1, 0, true))
            .add("se.activation", new Layer.Relu())
            .add("se.fc2", Layer.Conv2d.square(1, 2, 1, 1, 0, true))
            .add("se.scale_activation", new Layer.Hardsigmoid())
            .add("se.mul", new Layer.Mul(), "dw", "se.scale_activation")
            .group("all", "dw", "se").build();
        float[] dw = new float[18];
        dw[4] = 2;   // channel 0: the centre tap only, x 2
        dw[9 + 4] = -1; // channel 1: centre x -1
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 2, 2, Map.of(
            "dw.weight", Tensor.ofFloats(new long[] {2, 1, 3, 3}, dw),
            "se.fc1.weight", Tensor.ofFloats(new long[] {1, 2, 1, 1}, new float[] {1, 1}),
            "se.fc1.bias", Tensor.ofFloats(new long[] {1}, new float[] {0.5f}),
            "se.fc2.weight", Tensor.ofFloats(new long[] {2, 1, 1, 1}, new float[] {1, -2}),
            "se.fc2.bias", Tensor.ofFloats(new long[] {2}, new float[] {0, 1})));
        // channel 0: 1, 2, 3, 4 -> 2, 4, 6, 8 (mean 5); channel 1: 1, 1, 1, 1 -> -1 (mean -1)
        float[] x = {1, 2, 3, 4, 1, 1, 1, 1};
        float[] y;
        try (NDManager batch = manager.newSubManager()) {
            y = block.forward(new ParameterStore(batch, false), new NDList(batch.create(x, new Shape(1, 2, 2, 2))), false)
                .singletonOrThrow().toFloatArray();
        }
        double hidden = Math.max(0, 5 - 1 + 0.5);                 // 4.5
        double g0 = relu6(hidden * 1 + 0 + 3) / 6;                 // 1 (saturated)
        double g1 = relu6(hidden * -2 + 1 + 3) / 6;                // relu6(-5) / 6 = 0
        assertThat(y).containsExactly((float) (2 * g0), (float) (4 * g0), (float) (6 * g0), (float) (8 * g0),
            (float) (-1 * g1), (float) (-1 * g1), (float) (-1 * g1), (float) (-1 * g1));
        assertThat(g1).isZero();
        assertThat(y[0]).isEqualTo(2f);
    }

    @Test
    void stochasticDepthDropsWholeRowsInTrainingOnlyAndKeepsTheExpectation() {
        double p = 0.25;
        Network net = Network.builder().inputChannels(2)
            .add("sd", Layer.StochasticDepth.row(p)).group("all", "sd").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 3, 3, Map.of());
        int n = 4000;
        try (NDManager batch = manager.newSubManager()) {
            NDArray x = batch.ones(new Shape(n, 2, 3, 3));
            float[] eval = block.forward(new ParameterStore(batch, false), new NDList(x), false).singletonOrThrow()
                .toFloatArray();
            assertThat(eval).containsOnly(1f);
            float[] train = block.forward(new ParameterStore(batch, false), new NDList(x), true).singletonOrThrow()
                .toFloatArray();
            int dropped = 0;
            for (int r = 0; r < n; r++) {
                float first = train[r * 18];
                assertThat(first).isIn(0f, (float) (1 / (1 - p)));
                for (int k = 1; k < 18; k++) {
                    assertThat(train[r * 18 + k]).isEqualTo(first); // the whole row shares one draw
                }
                dropped += first == 0 ? 1 : 0;
            }
            // Binomial(4000, 0.25): mean 1000, sd 27
            assertThat(dropped).isBetween(850, 1150);
        }
    }

    @Test
    void batchModeDropsTheWholeBatchOrNothing() {
        Network net = Network.builder().inputChannels(1)
            .add("sd", new Layer.StochasticDepth(0.5, Layer.StochasticDepth.BATCH)).group("all", "sd").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 2, 2, Map.of());
        int zeros = 0;
        for (int t = 0; t < 200; t++) {
            try (NDManager batch = manager.newSubManager()) {
                float[] y = block.forward(new ParameterStore(batch, false), new NDList(batch.ones(new Shape(8, 1, 2, 2))),
                    true).singletonOrThrow().toFloatArray();
                assertThat(y).satisfiesAnyOf(a -> assertThat(a).containsOnly(0f), a -> assertThat(a).containsOnly(2f));
                zeros += y[0] == 0 ? 1 : 0;
            }
        }
        assertThat(zeros).isBetween(60, 140);
    }
}
