package dev.graft.benchmarks.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.InferenceModel;
import java.util.Map;

/**
 * The trained network itself, rebuilt in DJL's PyTorch engine from a checkpoint: the engine a Java team would use if
 * it skipped the export, so whether exporting pays is a measured answer.
 *
 * <p>Threads are PyTorch's intra-op threads ({@code torch.set_num_threads}), a process-wide setting applied when a
 * session opens; inter-op parallelism is fixed at one thread before the engine starts, as ONNX Runtime's sequential
 * execution is. The trainer's {@link InferenceModel} runs on DJL's default device, so a device other than that one is
 * reported as unavailable rather than silently run elsewhere.
 */
public final class DjlEngine implements BenchEngine {
    private static final String ENGINE = "PyTorch";

    private final Network network;
    private final Map<String, Tensor> weights;
    private final int channels;
    private final int height;
    private final int width;

    private DjlEngine(Network network, Map<String, Tensor> weights, int height, int width) {
        this.network = network;
        this.weights = weights;
        this.channels = network.inputChannels();
        this.height = height;
        this.width = width;
    }

    /** An engine for {@code network} with {@code weights} (a checkpoint's), fed {@code height x width} images. */
    public static DjlEngine of(Network network, Map<String, Tensor> weights, int height, int width) {
        return new DjlEngine(network, weights, height, width);
    }

    @Override
    public String name() {
        return "djl";
    }

    @Override
    public String version() {
        return "DJL " + Engine.getDjlVersion() + ", PyTorch " + engine().getVersion();
    }

    /** The PyTorch version DJL loaded. */
    public static String pytorchVersion() {
        return engine().getVersion();
    }

    private static Engine engine() {
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        return Engine.getEngine(ENGINE);
    }

    @Override
    public BenchSession open(String device, int threads) {
        Engine engine = engine();
        Device def = engine.defaultDevice();
        if (Devices.isCuda(device)) {
            if (engine.getGpuCount() == 0) {
                throw new EngineUnavailableException("DJL's PyTorch sees no CUDA GPU (the CPU native library, or no GPU here)");
            }
            if (!def.isGpu() || def.getDeviceId() != Devices.cudaIndex(device)) {
                throw new EngineUnavailableException("the trainer's InferenceModel runs on DJL's default device " + def
                    + " only");
            }
        } else if (def.isGpu()) {
            throw new EngineUnavailableException("DJL's default device is " + def + "; the trainer's InferenceModel cannot"
                + " be pinned to the CPU");
        }
        // PyTorch's thread count is process-wide: set for this session, given back when it closes, so training or
        // another benchmark later in the same process runs with the count it had
        int before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(threads);
        InferenceModel model;
        try {
            model = InferenceModel.load(network, weights, height, width);
        } catch (RuntimeException e) {
            JniUtils.setNumThreads(before);
            throw e;
        }
        String used = def.isGpu() ? "cuda:" + def.getDeviceId() : "cpu";
        return new BenchSession() {
            @Override
            public String device() {
                return used;
            }

            @Override
            public float[] run(float[] nchw, int n) {
                return model.forward(nchw, n, channels, height, width);
            }

            @Override
            public void close() {
                try {
                    model.close();
                } finally {
                    JniUtils.setNumThreads(before);
                }
            }
        };
    }
}
