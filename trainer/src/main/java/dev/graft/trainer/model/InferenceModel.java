package dev.graft.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.models.GraftException;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.util.Map;

/**
 * A trained network in DJL, in evaluation mode, behind plain float arrays.
 *
 * <p>It is the "trained model's own forward" that every export is proven against (the CLI hands it to the exporter,
 * which needs no DJL), and the engine the benchmarks compare ONNX Runtime with. Each call runs in its own
 * sub-manager, so nothing accumulates between calls.
 */
public final class InferenceModel implements AutoCloseable {
    private final NDManager manager;
    private final NetworkBlock block;
    private final int channels;

    private InferenceModel(NDManager manager, NetworkBlock block, int channels) {
        this.manager = manager;
        this.block = block;
        this.channels = channels;
    }

    /** Builds the network on the default device (CPU here) and loads every parameter and buffer. */
    public static InferenceModel load(Network network, Map<String, Tensor> weights, int height, int width) {
        NDManager manager = NDManager.newBaseManager("PyTorch");
        try {
            NetworkBlock block = new NetworkBlock(network);
            block.initialize(manager, height, width, weights);
            return new InferenceModel(manager, block, network.inputChannels());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The network's raw outputs (logits; regression values) for a normalised NCHW batch, row-major [n, outputs]. */
    public synchronized float[] forward(float[] nchw, int n, int c, int h, int w) {
        if (c != channels || (long) n * c * h * w != nchw.length) {
            throw new GraftException("input of " + nchw.length + " values does not fit [" + n + ", " + c + ", " + h + ", "
                + w + "] with " + channels + " channels");
        }
        try (NDManager batch = manager.newSubManager()) {
            NDArray x = batch.create(nchw, new Shape(n, c, h, w));
            NDArray out = block.forward(new ParameterStore(batch, false), new NDList(x), false).singletonOrThrow();
            return out.toFloatArray();
        }
    }

    public NetworkBlock block() {
        return block;
    }

    @Override
    public void close() {
        manager.close();
    }
}
