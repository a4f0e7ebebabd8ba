package dev.graft.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
 *
 * <p>Loaded with {@link #loadFloat64} it is the same network with its float32 weights widened to float64 and every
 * layer computed in float64 (no float32 shortcut): what the weights mean, free of float32 rounding, so an export's
 * proof can tell a wrong graph from the model's own float32 noise.
 */
public final class InferenceModel implements AutoCloseable {
    private final NDManager manager;
    private final NetworkBlock block;
    private final int channels;
    private final DataType dataType;

    private InferenceModel(NDManager manager, NetworkBlock block, int channels, DataType dataType) {
        this.manager = manager;
        this.block = block;
        this.channels = channels;
        this.dataType = dataType;
    }

    /** Builds the network on the default device (CPU here) and loads every parameter and buffer. */
    public static InferenceModel load(Network network, Map<String, Tensor> weights, int height, int width) {
        return load(network, weights, height, width, DataType.FLOAT32);
    }

    /**
     * The same network computed in float64 on the CPU: weights widened exactly from float32, each layer evaluated as
     * the spec says (BatchNorm on its running statistics with a double epsilon, no folding, the engine's own
     * max-pool). Use {@link #forwardFloat64}; about twice the memory of the float32 model and several times slower.
     */
    public static InferenceModel loadFloat64(Network network, Map<String, Tensor> weights, int height, int width) {
        return load(network, weights, height, width, DataType.FLOAT64);
    }

    private static InferenceModel load(Network network, Map<String, Tensor> weights, int height, int width,
                                       DataType dataType) {
        NDManager manager = NDManager.newBaseManager("PyTorch");
        try {
            NetworkBlock block = new NetworkBlock(network);
            block.initialize(manager, dataType, new Shape(1, network.inputChannels(), height, width));
            block.loadWeights(weights);
            return new InferenceModel(manager, block, network.inputChannels(), dataType);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The network's raw outputs (logits; regression values) for a normalised NCHW batch, row-major [n, outputs]; a
     * float64 model's outputs rounded to float.
     */
    public float[] forward(float[] nchw, int n, int c, int h, int w) {
        if (dataType == DataType.FLOAT32) {
            return runFloat(nchw, n, c, h, w);
        }
        double[] d = forwardFloat64(nchw, n, c, h, w);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** The outputs in double precision: a float64 model's own, or a float32 model's widened. */
    public double[] forwardFloat64(float[] nchw, int n, int c, int h, int w) {
        synchronized (this) {
            try (NDManager batch = manager.newSubManager()) {
                NDArray out = output(batch, nchw, n, c, h, w);
                return out.toType(DataType.FLOAT64, false).toDoubleArray();
            }
        }
    }

    /** Whether this model computes in float64. */
    public boolean isFloat64() {
        return dataType == DataType.FLOAT64;
    }

    private synchronized float[] runFloat(float[] nchw, int n, int c, int h, int w) {
        try (NDManager batch = manager.newSubManager()) {
            return output(batch, nchw, n, c, h, w).toFloatArray();
        }
    }

    private NDArray output(NDManager batch, float[] nchw, int n, int c, int h, int w) {
        if (c != channels || (long) n * c * h * w != nchw.length) {
            throw new GraftException("input of " + nchw.length + " values does not fit [" + n + ", " + c + ", " + h + ", "
                + w + "] with " + channels + " channels");
        }
        NDArray x = batch.create(nchw, new Shape(n, c, h, w));
        if (dataType != DataType.FLOAT32) {
            x = x.toType(dataType, false);
        }
        return block.forward(new ParameterStore(batch, false), new NDList(x), false).singletonOrThrow();
    }

    public NetworkBlock block() {
        return block;
    }

    @Override
    public void close() {
        manager.close();
    }
}
