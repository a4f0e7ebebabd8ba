package dev.graft.benchmarks.input;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.TensorInfo;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * An ONNX model file as the benchmark needs to know it before measuring anything: its input shape, its Graft metadata
 * (input size, normalisation, architecture, precision, the hash of the weights it was exported from), size and digest.
 *
 * @param path the file
 * @param bytes its size
 * @param sha256 hex digest
 * @param inputName the first input's name
 * @param inputShape the first input's shape as the graph declares it, -1 for dynamic dimensions
 * @param metadata the model's {@code metadata_props}
 */
public record ModelFile(Path path, long bytes, String sha256, String inputName, long[] inputShape,
                        Map<String, String> metadata) {
    /** Graft's metadata key for the sha256 of the weights the model was exported from. */
    public static final String SOURCE_KEY = "graft.source";

    /**
     * Reads {@code path}'s input and metadata through ONNX Runtime (without optimising the graph).
     *
     * @throws GraftException if the file is missing or not a model ONNX Runtime can load
     */
    public static ModelFile inspect(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new GraftException(path + (Files.exists(path) ? " is not a file" : " does not exist"));
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(path.toString(), options)) {
                Map.Entry<String, NodeInfo> input = session.getInputInfo().entrySet().iterator().next();
                if (!(input.getValue().getInfo() instanceof TensorInfo tensor) || tensor.getShape().length != 4) {
                    throw new GraftException(path + ": the model's input '" + input.getKey() + "' is "
                        + input.getValue().getInfo() + ", not an NCHW image tensor");
                }
                return new ModelFile(path, Files.size(path), Checkpoint.sha256(path), input.getKey(), tensor.getShape(),
                    Map.copyOf(session.getMetadata().getCustomMetadata()));
            }
        } catch (OrtException e) {
            throw new GraftException(path + " is not a model ONNX Runtime can load: "
                + String.valueOf(e.getMessage()).replaceAll("\\s+", " ").strip());
        } catch (java.io.IOException e) {
            throw new GraftException("cannot read " + path + ": " + e.getMessage());
        }
    }

    /** The file name without {@code .onnx}. */
    public String name() {
        String n = path.getFileName().toString();
        return n.endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
    }

    /** The input's channel count (-1 if dynamic). */
    public int channels() {
        return (int) inputShape[1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelFile m && path.equals(m.path) && sha256.equals(m.sha256)
            && Arrays.equals(inputShape, m.inputShape);
    }

    @Override
    public int hashCode() {
        return path.hashCode() * 31 + sha256.hashCode();
    }

    @Override
    public String toString() {
        return "ModelFile[" + path + ", input " + inputName + " " + Arrays.toString(inputShape) + "]";
    }
}
