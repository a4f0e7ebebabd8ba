package dev.graft.benchmarks.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.models.GraftException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * ONNX Runtime, through its Java API, as a deployed Graft model runs: all graph optimisations, sequential execution,
 * {@code threads} intra-op threads, and the input copied into a reused direct buffer that the tensor wraps without a
 * further copy (ONNX Runtime would otherwise allocate and fill a new direct buffer for every heap array, which the JMH
 * {@code TensorCreationBenchmark} shows costs about ten times the copy).
 *
 * <p>Kept small and on its own on purpose: it is the one place to switch to runtime-edge's {@code EdgeModel} once that
 * lands, so the benchmark measures exactly what applications embed.
 */
public final class OrtEngine implements BenchEngine {
    private final Path model;
    private final int channels;
    private final int height;
    private final int width;
    private final boolean spin;

    private OrtEngine(Path model, int channels, int height, int width, boolean spin) {
        this.model = model;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.spin = spin;
    }

    /** An engine for the ONNX file {@code model}, fed {@code channels x height x width} images. */
    public static OrtEngine of(Path model, int channels, int height, int width) {
        return new OrtEngine(model, channels, height, width, true);
    }

    /**
     * The same engine with ONNX Runtime's intra-op threads busy-waiting between work ({@code true}, its default) or
     * sleeping ({@code false}: {@code session.intra_op.allow_spinning=0}), which matters on a machine shared with other
     * processes.
     */
    public OrtEngine withSpinning(boolean allow) {
        return new OrtEngine(model, channels, height, width, allow);
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
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(threads);
            if (!spin) {
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            String used = "cpu";
            if (Devices.isCuda(device)) {
                if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
                    throw new EngineUnavailableException("this ONNX Runtime has no CUDA execution provider (the CPU build; "
                        + "available: " + OrtEnvironment.getAvailableProviders() + ")");
                }
                try {
                    options.addCUDA(Devices.cudaIndex(device));
                } catch (OrtException e) {
                    throw new EngineUnavailableException("ONNX Runtime cannot use " + device + ": " + oneLine(e), e);
                }
                used = device;
            }
            OrtSession session = env.createSession(model.toString(), options);
            return new Session(env, options, session, session.getInputNames().iterator().next(), used);
        } catch (OrtException e) {
            options.close();
            throw new GraftException("ONNX Runtime cannot load " + model + ": " + oneLine(e), e);
        } catch (RuntimeException e) {
            options.close();
            throw e;
        }
    }

    private final class Session implements BenchSession {
        private final OrtEnvironment env;
        private final OrtSession.SessionOptions options;
        private final OrtSession session;
        private final String inputName;
        private final String device;
        private FloatBuffer buffer;

        Session(OrtEnvironment env, OrtSession.SessionOptions options, OrtSession session, String inputName, String device) {
            this.env = env;
            this.options = options;
            this.session = session;
            this.inputName = inputName;
            this.device = device;
        }

        @Override
        public String device() {
            return device;
        }

        @Override
        public float[] run(float[] nchw, int n) {
            long[] shape = {n, channels, height, width};
            if (buffer == null || buffer.capacity() < nchw.length) {
                buffer = ByteBuffer.allocateDirect(nchw.length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            }
            buffer.clear();
            buffer.put(nchw).flip();
            try (OnnxTensor input = OnnxTensor.createTensor(env, buffer, shape);
                 OrtSession.Result result = session.run(Map.of(inputName, input))) {
                OnnxValue out = result.get(0);
                FloatBuffer output = ((OnnxTensor) out).getFloatBuffer();
                float[] values = new float[output.remaining()];
                output.get(values);
                return values;
            } catch (OrtException e) {
                throw new GraftException("ONNX Runtime failed on a batch of " + n + ": " + oneLine(e), e);
            }
        }

        @Override
        public void close() {
            try {
                session.close();
            } catch (OrtException e) {
                throw new GraftException("ONNX Runtime failed to close its session: " + oneLine(e), e);
            } finally {
                options.close();
            }
        }
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ").strip();
    }
}
