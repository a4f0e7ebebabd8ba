package dev.graft.benchmarks.engine;

import ai.onnxruntime.OrtEnvironment;
import dev.graft.edge.Device;
import dev.graft.edge.EdgeException;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.models.GraftException;
import java.nio.file.Path;

/**
 * ONNX Runtime exactly as an application embeds a Graft model: through runtime-edge's {@link EdgeModel} (all graph
 * optimisations, {@code threads} intra-op threads, pinned direct buffers reused across calls). A CUDA configuration
 * that EdgeModel would quietly run on the CPU is reported as unavailable instead, so a CPU figure is never filed
 * under CUDA.
 */
public final class OrtEngine implements BenchEngine {
    private final Path model;
    private final int height;
    private final int width;
    private final boolean spin;

    private OrtEngine(Path model, int height, int width, boolean spin) {
        this.model = model;
        this.height = height;
        this.width = width;
        this.spin = spin;
    }

    /** An engine for the ONNX file {@code model}, fed {@code channels x height x width} images. */
    public static OrtEngine of(Path model, int channels, int height, int width) {
        return new OrtEngine(model, height, width, true);
    }

    /**
     * The same engine with ONNX Runtime's intra-op threads busy-waiting between work ({@code true}, its default) or
     * sleeping ({@code false}: {@code session.intra_op.allow_spinning=0}), which matters on a machine shared with other
     * processes.
     */
    public OrtEngine withSpinning(boolean allow) {
        return new OrtEngine(model, height, width, allow);
    }

    @Override
    public String name() {
        return "ort";
    }

    @Override
    public String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    @Override
    public BenchSession open(String device, int threads) {
        EdgeModel edge;
        try {
            edge = EdgeModel.load(model, EdgeOptions.builder().optDevice(Devices.isCuda(device) ? device : "cpu")
                .optIntraOpThreads(threads).optSpinning(spin).build());
        } catch (EdgeException e) {
            throw new GraftException("ONNX Runtime cannot load " + model + ": " + e.getMessage(), e);
        }
        if (Devices.isCuda(device) && edge.device().type() != Device.Type.CUDA) {
            String why = edge.deviceNote().orElse("CUDA is not available to ONNX Runtime here");
            edge.close();
            throw new EngineUnavailableException(why);
        }
        return new Session(edge);
    }

    private final class Session implements BenchSession {
        private final EdgeModel edge;

        Session(EdgeModel edge) {
            this.edge = edge;
        }

        @Override
        public String device() {
            return edge.device().toString();
        }

        @Override
        public float[] run(float[] nchw, int n) {
            try {
                return edge.runTensor(nchw, n, height, width);
            } catch (EdgeException e) {
                throw new GraftException("ONNX Runtime failed on a batch of " + n + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            edge.close();
        }
    }
}
