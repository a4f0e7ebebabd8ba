package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import dev.graft.models.weights.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Frozen convolution + BatchNorm pairs run folded and compute what the pair computes; anything that makes a pair
 * trainable, or changes its weights, puts the pair back or refolds it.
 */
class NetworkBlockFoldingTest {
    /** torchvision's resnet18 (avgpool and fc, no dropout), so a training pass is deterministic. */
    private final Network net = VisionModel.torchvision("resnet18", 3);
    /** conv1 with bn1, two per basic block, and the three downsample branches. */
    private static final int PAIRS = 1 + 8 * 2 + 3;
    private NDManager manager;
    private NetworkBlock block;
    private float[] input;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager("PyTorch");
        block = new NetworkBlock(net);
        block.initialize(manager, 32, 32, randomWeights(1));
        input = manager.randomNormal(new Shape(2, 3, 32, 32)).toFloatArray();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void aFrozenNetworkRunsFoldedAndComputesTheSame() {
        float[] reference = forward(false);
        assertThat(block.foldedPairs()).as("nothing is folded while parameters train").isZero();

        freezeAll(true);
        float[] folded = forward(false);
        assertThat(block.foldedPairs()).isEqualTo(PAIRS);
        assertThat(relDiff(folded, reference)).isLessThan(1e-5);
        assertThat(folded).as("folding changes the arithmetic, so the bits differ").isNotEqualTo(reference);

        freezeAll(false);
        assertThat(forward(false)).as("unfrozen again: the unfolded pairs, bit for bit").containsExactly(reference);
        assertThat(block.foldedPairs()).isZero();
    }

    @Test
    void aTrainingPassFoldsOnlyBatchNormHeldInEvaluationMode() {
        float[] reference = forward(false);
        freezeAll(true);
        List<String> bns = batchNorms();
        block.setEvalBatchNorm(bns);
        float[] training = forward(true);
        assertThat(block.foldedPairs()).isEqualTo(PAIRS);
        assertThat(relDiff(training, reference)).isLessThan(1e-5);

        block.setEvalBatchNorm(bns.subList(1, bns.size()));
        forward(true);
        assertThat(block.foldedPairs()).as("bn1 normalises with batch statistics again").isEqualTo(PAIRS - 1);
        block.setEvalBatchNorm(List.of());
        forward(true);
        assertThat(block.foldedPairs()).as("BatchNorm on batch statistics is not constant").isZero();
    }

    @Test
    void loadingWeightsRefoldsAndTheFoldsLeaveNoArraysBehind() {
        freezeAll(true);
        forward(false);
        int arrays = manager.getManagedArrays().size();
        Map<String, Tensor> other = randomWeights(2);
        block.loadWeights(other);
        float[] afterLoad = forward(false);
        assertThat(manager.getManagedArrays()).as("old folds closed, new ones made").hasSize(arrays);

        try (NDManager fresh = NDManager.newBaseManager("PyTorch")) {
            NetworkBlock unfrozen = new NetworkBlock(net);
            unfrozen.initialize(fresh, 32, 32, other);
            try (NDManager batch = fresh.newSubManager()) {
                NDArray y = unfrozen.forward(new ParameterStore(batch, false),
                    new NDList(batch.create(input, new Shape(2, 3, 32, 32))), false).singletonOrThrow();
                assertThat(relDiff(afterLoad, y.toFloatArray())).as("the new weights, not the old folds")
                    .isLessThan(1e-5);
            }
        }
    }

    @Test
    void trainableParametersStillGetTheirGradients() {
        // conv1 trains; everything else is frozen. The stem's max-pool must then stay on the engine's pool, whose
        // backward carries the gradient to conv1, and conv1 + bn1 must not be folded.
        freezeAll(true);
        block.setEvalBatchNorm(batchNorms());
        Parameter conv1 = block.parameter("conv1.weight");
        conv1.freeze(false);
        try (NDManager batch = manager.newSubManager(); GradientCollector gc = Engine.getInstance()
                .newGradientCollector()) {
            NDArray y = block.forward(new ParameterStore(batch, false),
                new NDList(batch.create(input, new Shape(2, 3, 32, 32))), true).singletonOrThrow();
            gc.backward(y.sum());
            assertThat(block.foldedPairs()).isEqualTo(PAIRS - 1);
            NDArray grad = conv1.getArray().getGradient();
            assertThat(grad.abs().sum().getFloat()).as("conv1's gradient through the pool").isPositive();
            grad.close();
        }
    }

    private float[] forward(boolean training) {
        try (NDManager batch = manager.newSubManager()) {
            NDArray x = batch.create(input, new Shape(2, 3, 32, 32));
            return block.forward(new ParameterStore(batch, false), new NDList(x), training).singletonOrThrow()
                .toFloatArray();
        }
    }

    private List<String> batchNorms() {
        List<String> bns = new ArrayList<>();
        for (Node n : net.nodes()) {
            if (n.layer() instanceof Layer.BatchNorm) {
                bns.add(n.id());
            }
        }
        return bns;
    }

    private void freezeAll(boolean frozen) {
        for (Parameter p : block.parameters().values()) {
            if (net.params().get(p.getName()).learnable()) {
                p.freeze(frozen);
            }
        }
    }

    /** Every parameter random, running variances positive, so folding has real numbers to fold. */
    private Map<String, Tensor> randomWeights(long seed) {
        Random random = new Random(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Param> e : net.params().entrySet()) {
            long[] shape = e.getValue().shapeArray();
            int size = 1;
            for (long d : shape) {
                size *= (int) d;
            }
            float[] v = new float[size];
            boolean variance = e.getKey().endsWith("running_var");
            float scale = e.getKey().endsWith(".weight") && shape.length == 4 ? 0.1f : 0.5f;
            for (int i = 0; i < size; i++) {
                v[i] = variance ? 0.5f + random.nextFloat() : scale * (float) random.nextGaussian();
            }
            out.put(e.getKey(), Tensor.ofFloats(shape, v));
        }
        return out;
    }

    private static double relDiff(float[] a, float[] b) {
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return worst / scale;
    }
}
