package dev.graft.exporter.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.TensorInfo;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One ONNX Runtime session on the CPU, with plain-Java inputs and outputs.
 *
 * <p>Graft does not trust an export until ONNX Runtime has loaded it and produced the numbers the trained model
 * produces; this class is the loading and running half of that proof. It hides the runtime's native resources
 * (tensors that must be closed, results that must be closed) behind float arrays, and turns every runtime
 * failure into a {@link GraftException} whose one-line message says what was being done, because the runtime's
 * own messages are multi-line C++ diagnostics.
 *
 * <p>Sessions are CPU-only on purpose: the proof must not depend on which accelerator the exporting machine has.
 * The shared {@link OrtEnvironment} is used and never closed, as ONNX Runtime requires; its telemetry is switched
 * off on first use (the build also sets {@code ORT_DISABLE_TELEMETRY=1} for tests).
 */
public final class OrtRunner implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private boolean closed;

    private OrtRunner(OrtEnvironment env, OrtSession.SessionOptions options, OrtSession session) {
        this.env = env;
        this.options = options;
        this.session = session;
    }

    /** Opens {@code model} after serialising it; see {@link #open(byte[], OptLevel)}. */
    public static OrtRunner open(ModelProto model, OptLevel optimisation) {
        return open(model.toByteArray(), optimisation);
    }

    /**
     * Loads a serialised model into a new CPU session. {@link OptLevel#NO_OPT} runs the graph as written, which
     * is what a test of the export itself wants; {@link OptLevel#ALL_OPT} is what a deployment will run.
     *
     * @throws GraftException if ONNX Runtime rejects the model
     */
    public static OrtRunner open(byte[] model, OptLevel optimisation) {
        return open(model, optimisation, 0);
    }

    /**
     * Loads a serialised model into a new CPU session that uses {@code intraOpThreads} threads per operator, so that
     * latency figures mean the same on every machine; 0 lets ONNX Runtime choose (one per core).
     *
     * @throws GraftException if ONNX Runtime rejects the model
     * @throws IllegalArgumentException if {@code intraOpThreads} is negative
     */
    public static OrtRunner open(byte[] model, OptLevel optimisation, int intraOpThreads) {
        return open(model, optimisation, intraOpThreads, null);
    }

    /**
     * Loads a model as {@link #open(byte[], OptLevel, int)} does and writes the graph ONNX Runtime actually runs, after
     * its optimisations (fusions, the integer kernels that replace a quantised model's QDQ pairs), to
     * {@code optimisedModel}. That file is the only way to see what a session will execute.
     *
     * @throws GraftException if ONNX Runtime rejects the model or cannot write the file
     */
    public static OrtRunner open(byte[] model, OptLevel optimisation, int intraOpThreads, Path optimisedModel) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(optimisation, "optimisation");
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("thread count must be 0 (automatic) or positive, not " + intraOpThreads);
        }
        OrtEnvironment env = environment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(optimisation);
            if (intraOpThreads > 0) {
                options.setIntraOpNumThreads(intraOpThreads);
                options.setInterOpNumThreads(1);
            }
            if (optimisedModel != null) {
                options.setOptimizedModelFilePath(optimisedModel.toAbsolutePath().toString());
                // Writing a model optimised at level "all" draws a warning that it is hardware-specific; that is the
                // point of looking at it, so only errors are logged.
                options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            }
            return new OrtRunner(env, options, env.createSession(model, options));
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw new GraftException("ONNX Runtime cannot load the model: " + oneLine(e), e);
        }
    }

    private static synchronized OrtEnvironment environment() {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try {
            env.setTelemetry(false);
        } catch (OrtException e) {
            throw new GraftException("ONNX Runtime cannot start: " + oneLine(e), e);
        }
        return env;
    }

    /** The names of the model's inputs, in graph order. */
    public Set<String> inputNames() {
        ensureOpen();
        return session.getInputNames();
    }

    /** The names of the model's outputs, in graph order. */
    public Set<String> outputNames() {
        ensureOpen();
        return session.getOutputNames();
    }

    /**
     * The model's {@code metadata_props} as ONNX Runtime reads them: what a deployed application will see.
     *
     * @throws GraftException if ONNX Runtime cannot read them
     */
    public Map<String, String> customMetadata() {
        ensureOpen();
        try {
            return session.getMetadata().getCustomMetadata();
        } catch (OrtException e) {
            throw new GraftException("ONNX Runtime cannot read the model's metadata: " + oneLine(e), e);
        }
    }

    /**
     * Feeds one float input and returns one float output, flattened row-major.
     *
     * @throws IllegalArgumentException if {@code data} does not fill {@code shape}
     * @throws GraftException if ONNX Runtime rejects the names or shape, or the output is not float32
     */
    public float[] run(String inputName, float[] data, long[] shape, String outputName) {
        return run(inputName, data, shape, Set.of(outputName)).get(outputName).data();
    }

    /**
     * Feeds one float input and returns every output, by name in graph order, with its shape.
     *
     * @throws IllegalArgumentException if {@code data} does not fill {@code shape}
     * @throws GraftException if ONNX Runtime rejects the name or shape, or an output is not float32
     */
    public Map<String, FloatTensor> runAll(String inputName, float[] data, long[] shape) {
        ensureOpen();
        return run(inputName, data, shape, session.getOutputNames());
    }

    private Map<String, FloatTensor> run(String inputName, float[] data, long[] shape, Set<String> wanted) {
        ensureOpen();
        Objects.requireNonNull(inputName, "inputName");
        new FloatTensor(data, shape); // validates the element count before native code sees it
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
             OrtSession.Result result = session.run(Map.of(inputName, input), wanted)) {
            Map<String, FloatTensor> outputs = new LinkedHashMap<>();
            for (Map.Entry<String, OnnxValue> e : result) {
                outputs.put(e.getKey(), toFloatTensor(e.getKey(), e.getValue()));
            }
            return Collections.unmodifiableMap(outputs);
        } catch (OrtException | IllegalArgumentException | IllegalStateException e) {
            throw new GraftException("ONNX Runtime failed to run the model on input '" + inputName + "' of shape "
                    + Arrays.toString(shape) + ": " + oneLine(e), e);
        }
    }

    private static FloatTensor toFloatTensor(String name, OnnxValue value) {
        if (!(value instanceof OnnxTensor tensor)
                || ((TensorInfo) tensor.getInfo()).type != OnnxJavaType.FLOAT) {
            throw new GraftException("model output '" + name + "' is " + value.getInfo() + ", not a float32 tensor");
        }
        FloatBuffer buffer = tensor.getFloatBuffer();
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return new FloatTensor(out, tensor.getInfo().getShape());
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this ONNX Runtime session is closed");
        }
    }

    /** Releases the session's native memory; closing twice is harmless. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } catch (OrtException e) {
            throw new GraftException("ONNX Runtime failed to close a session: " + oneLine(e), e);
        } finally {
            options.close();
        }
    }

    private static String oneLine(Exception e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return message.replaceAll("\\s+", " ").trim();
    }
}
