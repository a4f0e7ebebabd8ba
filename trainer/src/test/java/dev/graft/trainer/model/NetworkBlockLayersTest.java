package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Single layers on hand-made tensors, against PyTorch's definitions worked out by hand. */
class NetworkBlockLayersTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    // Four values per channel: channel 0 holds 1, 2, 3, 6 (mean 3, sum of squares 14), channel 1 holds 0, 4, 0, 4
    // (mean 2, sum of squares 16). Biased variances 3.5 and 4, unbiased 14/3 and 16/3.
    private static final float[] NCHW = {1, 2, 0, 4, 3, 6, 0, 4};  // [N=2, C=2, H=1, W=2]
    private static final float[] NF = {1, 0, 2, 4, 3, 0, 6, 4};    // [N=4, F=2]
    private static final double[] MEAN = {3, 2};
    private static final double[] BIASED_VAR = {3.5, 4};
    private static final double[] UNBIASED_VAR = {14.0 / 3, 16.0 / 3};
    private static final float[] OLD_MEAN = {0.5f, -1f};
    private static final float[] OLD_VAR = {2f, 0.5f};
    private static final float[] GAMMA = {2f, 1f};
    private static final float[] BETA = {0.5f, 0f};
    private static final double MOMENTUM = 0.3;
    private static final double EPS = 1e-5;

    @Test
    void batchNorm2dTrainingUpdatesRunningStatsAsPytorch() {
        Network net = Network.builder().inputChannels(2)
            .add("bn", new Layer.BatchNorm(2, 2, EPS, MOMENTUM)).group("all", "bn").build();
        checkTrainingStep(net, manager.create(NCHW, new Shape(2, 2, 1, 2)), 1, 2);
    }

    @Test
    void batchNorm1dTrainingUpdatesRunningStatsAsPytorch() {
        // the spec only lets a 1-d BatchNorm follow a pool (its channel check runs at 1024 px); at 1 px it is the identity
        Network net = Network.builder().inputChannels(2)
            .add("pool", new Layer.AvgPool())
            .add("flat", new Layer.Flatten())
            .add("bn", new Layer.BatchNorm(2, 1, EPS, MOMENTUM)).group("all", "pool", "flat", "bn").build();
        checkTrainingStep(net, manager.create(NF, new Shape(4, 2, 1, 1)), 1, 1);
    }

    private void checkTrainingStep(Network net, NDArray x, int h, int w) {
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, h, w, bnWeights());
        float[] out = forward(block, x, true);
        float[] in = x.toFloatArray();
        for (int i = 0; i < in.length; i++) {
            int c = channelOf(x.getShape(), i);
            double expected = (in[i] - MEAN[c]) / Math.sqrt(BIASED_VAR[c] + EPS) * GAMMA[c] + BETA[c];
            assertThat((double) out[i]).isCloseTo(expected, within(1e-5));
        }
        float[] mean = block.parameter("bn.running_mean").getArray().toFloatArray();
        float[] var = block.parameter("bn.running_var").getArray().toFloatArray();
        for (int c = 0; c < 2; c++) {
            // PyTorch: running = (1 - m) * running + m * batch, with the unbiased batch variance
            assertThat((double) mean[c]).isCloseTo((1 - MOMENTUM) * OLD_MEAN[c] + MOMENTUM * MEAN[c], within(1e-6));
            assertThat((double) var[c]).isCloseTo((1 - MOMENTUM) * OLD_VAR[c] + MOMENTUM * UNBIASED_VAR[c], within(1e-6));
        }
        assertThat(mean[0]).isCloseTo(1.25f, within(1e-6f));
        assertThat(var[0]).isCloseTo(2.8f, within(1e-6f));
    }

    @Test
    void batchNormInEvalUsesAndKeepsTheRunningStats() {
        Network net = Network.builder().inputChannels(2)
            .add("bn", new Layer.BatchNorm(2, 2, EPS, MOMENTUM)).group("all", "bn").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 1, 2, bnWeights());
        NDArray x = manager.create(NCHW, new Shape(2, 2, 1, 2));
        checkRunningStatsUsed(forward(block, x, false));

        // a frozen BatchNorm behaves the same in a training pass
        block.setEvalBatchNorm(List.of("bn"));
        checkRunningStatsUsed(forward(block, x, true));
        block.setEvalBatchNorm(List.of());
        forward(block, x, true);
        assertThat(block.parameter("bn.running_mean").getArray().toFloatArray()[0]).isCloseTo(1.25f, within(1e-6f));
    }

    private void checkRunningStatsUsed(float[] out) {
        for (int i = 0; i < NCHW.length; i++) {
            int c = channelOf(new Shape(2, 2, 1, 2), i);
            double expected = (NCHW[i] - OLD_MEAN[c]) / Math.sqrt(OLD_VAR[c] + EPS) * GAMMA[c] + BETA[c];
            assertThat((double) out[i]).isCloseTo(expected, within(1e-5));
        }
    }

    @Test
    void concatPoolPutsMaxBeforeAverage() {
        Network net = Network.builder().inputChannels(2)
            .add("pool", new Layer.ConcatPool()).group("all", "pool").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 2, 2, Map.of());
        // channel 0: 1, 5, 3, -1 (max 5, mean 2); channel 1: -4, -2, -6, 0 (max 0, mean -3)
        NDArray x = manager.create(new float[] {1, 5, 3, -1, -4, -2, -6, 0}, new Shape(1, 2, 2, 2));
        NDArray y = block.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
        assertThat(y.getShape()).isEqualTo(new Shape(1, 4, 1, 1));
        assertThat(y.toFloatArray()).containsExactly(5, 0, 2, -3);
    }

    @Test
    void avgPoolFlattenLinearAndSigmoidRange() {
        Network net = Network.builder().inputChannels(2)
            .add("pool", new Layer.AvgPool())
            .add("flat", new Layer.Flatten())
            .add("fc", new Layer.Linear(2, 1, true))
            .add("range", new Layer.SigmoidRange(-1, 3))
            .group("all", "pool", "flat", "fc", "range").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 2, 2, Map.of(
            "fc.weight", Tensor.ofFloats(new long[] {1, 2}, new float[] {0.5f, -1f}),
            "fc.bias", Tensor.ofFloats(new long[] {1}, new float[] {0.25f})));
        NDArray x = manager.create(new float[] {1, 5, 3, -1, -4, -2, -6, 0}, new Shape(1, 2, 2, 2));
        float[] y = forward(block, x, false);
        double z = 0.5 * 2 - 1 * -3 + 0.25;
        assertThat((double) y[0]).isCloseTo(1 / (1 + Math.exp(-z)) * 4 - 1, within(1e-6));
    }

    @Test
    void dropoutIsTheIdentityInEvalAndScalesInTraining() {
        Network net = Network.builder().inputChannels(1)
            .add("drop", new Layer.Dropout(0.5)).group("all", "drop").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 100, 100, Map.of());
        NDArray x = manager.ones(new Shape(1, 1, 100, 100));
        assertThat(forward(block, x, false)).containsOnly(1f);
        float[] trained = forward(block, x, true);
        assertThat(trained).containsOnly(0f, 2f);
        long zeros = 0;
        for (float v : trained) {
            zeros += v == 0 ? 1 : 0;
        }
        assertThat(zeros).isBetween(4000L, 6000L);
    }

    @Test
    void residualAddAndMaxPoolFollowTheSpecsWiring() {
        // the add reads two branches named explicitly; maxpool pads with -inf, not 0
        Network net = Network.builder().inputChannels(1)
            .add("pool", new Layer.MaxPool(3, 2, 1))
            .add("relu", new Layer.Relu(), Network.INPUT)
            .add("pool2", new Layer.MaxPool(2, 2, 0))
            .add("add", new Layer.Add(), "pool", "pool2")
            .group("all", "pool", "relu", "pool2", "add").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 4, 4, Map.of());
        float[] v = {
            -1, -2, -3, 4,
            -5, -6, 7, -8,
            -9, 10, -11, 12,
            13, -14, 15, -16};
        float[] y = forward(block, manager.create(v, new Shape(1, 1, 4, 4)), false);
        // pool: -1 (a window of negatives and padding), 7, 13, 15; relu then 2x2 pool: 0, 7, 13, 15
        assertThat(y).containsExactly(-1, 14, 26, 30);
    }

    @Test
    void ceilModeMaxPoolAvgPool2dAndConcatFollowPyTorch() {
        // PyTorch: MaxPool2d(3, 2, ceil_mode=True) keeps a clipped last window (4 px -> 2, floor would give 1),
        // AvgPool2d(2, 2) averages each 2x2 window, torch.cat(dim=1) stacks the channels in input order
        Network net = Network.builder().inputChannels(1)
            .add("ceil", new Layer.MaxPool(3, 2, 0, true))
            .add("avg", new Layer.AvgPool2d(2, 2, 0), Network.INPUT)
            .add("cat", new Layer.Concat(), "ceil", "avg")
            .group("all", "ceil", "avg", "cat").build();
        NetworkBlock block = new NetworkBlock(net);
        block.initialize(manager, 4, 4, Map.of());
        float[] v = {
            -1, -2, -3, 4,
            -5, -6, 7, -8,
            -9, 10, -11, 12,
            13, -14, 15, -16};
        for (boolean training : new boolean[] {false, true}) {
            float[] y = forward(block, manager.create(v, new Shape(1, 1, 4, 4)), training);
            assertThat(y).containsExactly(10, 12, 15, 15, -3.5f, 0, 0, 0);
        }
    }

    private float[] forward(NetworkBlock block, NDArray x, boolean training) {
        try (NDManager batch = manager.newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(batch);
            return block.forward(new ParameterStore(batch, false), new NDList(in), training).singletonOrThrow()
                .toFloatArray();
        }
    }

    private static Map<String, Tensor> bnWeights() {
        return Map.of(
            "bn.weight", Tensor.ofFloats(new long[] {2}, GAMMA),
            "bn.bias", Tensor.ofFloats(new long[] {2}, BETA),
            "bn.running_mean", Tensor.ofFloats(new long[] {2}, OLD_MEAN),
            "bn.running_var", Tensor.ofFloats(new long[] {2}, OLD_VAR));
    }

    /** The channel (or feature) of flat index i in a row-major [N, C, ...] array. */
    private static int channelOf(Shape s, int i) {
        long inner = s.size() / s.get(0) / s.get(1);
        return (int) ((i / inner) % s.get(1));
    }
}
