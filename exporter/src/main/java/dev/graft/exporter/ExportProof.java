package dev.graft.exporter;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.quant.QuantProgress;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorShapeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ValueInfoProto;
import dev.graft.models.GraftException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Proof that an exported file computes what the trained model computes, before the file is allowed to exist.
 *
 * <p>An export can be wrong in ways no schema check finds: a BatchNorm folded with the wrong epsilon, a weight
 * transposed, max and average pooling concatenated in the wrong order. Each still loads and produces plausible
 * probabilities. The only convincing check is numerical: run the exported graph in ONNX Runtime and the trained model
 * in its own engine on the same inputs, and compare. The inputs are seeded N(0, 1) noise (the model's input space after
 * normalisation), so a failure can be reproduced exactly. ONNX Runtime runs with all graph optimisations on, as a
 * deployment would.
 */
public final class ExportProof {
    /** The largest absolute difference in probabilities an export may show: float noise, not a wrong graph. */
    public static final double DEFAULT_TOLERANCE = 1e-4;
    /** The seed of the default proof input. */
    public static final long DEFAULT_SEED = 0;
    /** The batch of the default proof input. */
    public static final int DEFAULT_BATCH = 2;

    private ExportProof() {
    }

    /**
     * The outcome of one comparison.
     *
     * @param maxAbsDiff the largest absolute difference between ONNX Runtime's {@code probabilities} and the
     *     reference's (infinite when either produced NaN)
     * @param tolerance the largest difference that passes
     * @param opHistogram node count per ONNX op type, in graph order
     */
    public record Result(double maxAbsDiff, double tolerance, long seed, int batch, int height, int width,
                         Map<String, Integer> opHistogram) {
        /** Whether the export agrees with the reference within the tolerance. */
        public boolean passed() {
            return maxAbsDiff <= tolerance;
        }

        /** The graph's total number of nodes. */
        public int nodeCount() {
            return opHistogram.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * Runs {@code model} in ONNX Runtime and {@code reference} on the same seeded N(0, 1) batch and compares their
     * probabilities; the reference's raw output goes through the activation named in the model's metadata first.
     *
     * @throws GraftException if the model is not a Graft export, cannot run, or the reference returns the wrong count
     */
    public static Result verify(ModelProto model, ReferenceForward reference, long seed, int batch, int height,
                                int width, double tolerance) {
        Objects.requireNonNull(reference, "reference");
        if (batch <= 0 || height <= 0 || width <= 0) {
            throw new GraftException("the proof input must have a positive batch and size, not " + batch + "x"
                    + height + "x" + width);
        }
        if (!(tolerance >= 0)) {
            throw new GraftException("the proof tolerance must be zero or positive, not " + tolerance);
        }
        Map<String, String> meta = OnnxExporter.metadata(model);
        String act = meta.get(GraftMetadata.ACTIVATION);
        if (act == null) {
            throw new GraftException("the model has no " + GraftMetadata.ACTIVATION + " metadata; it is not a Graft export");
        }
        Activation activation = Activation.fromMetadata(act);
        int channels = inputChannels(model);
        int count = Math.multiplyExact(Math.multiplyExact(batch, channels), Math.multiplyExact(height, width));
        float[] x = new float[count];
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] actual;
        try (OrtRunner ort = OrtRunner.open(model, OptLevel.ALL_OPT)) {
            actual = ort.run(GraftMetadata.INPUT_NAME, x, new long[] {batch, channels, height, width},
                    GraftMetadata.OUTPUT_NAME);
        }
        float[] raw = reference.forward(x.clone(), batch, channels, height, width);
        if (raw == null || raw.length != actual.length) {
            throw new GraftException("the reference model returned " + (raw == null ? "nothing" : raw.length + " values")
                    + " for a batch of " + batch + "; the export returns " + actual.length);
        }
        double[] expected = activate(raw, batch, actual.length / batch, activation);
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (Double.isNaN(d)) {
                max = Double.POSITIVE_INFINITY;
            } else {
                max = Math.max(max, d);
            }
        }
        return new Result(max, tolerance, seed, batch, height, width, OnnxExporter.opHistogram(model));
    }

    /**
     * Exports, proves the export at the training size with the default seed, batch and tolerance, and only then writes
     * the file; see {@link #exportVerified(ExportOptions, ReferenceForward, long, int, int, int, double, Path)}.
     */
    public static Result exportVerified(ExportOptions options, ReferenceForward reference, Path out) {
        return exportVerified(options, reference, DEFAULT_SEED, DEFAULT_BATCH, options.inputHeight(),
                options.inputWidth(), DEFAULT_TOLERANCE, out);
    }

    /**
     * Exports, proves the export against {@code reference}, and writes it atomically to {@code out} only if the
     * largest difference is within {@code tolerance}. The proof is made on the float32 graph; an fp16 or int8 export is
     * made from that proven graph afterwards (its own cost in accuracy is what {@code PrecisionReport} measures).
     *
     * @throws GraftException if the export fails, the difference is too large (the message gives it), or the file
     *     cannot be written; in every case nothing is written and an existing file at {@code out} is untouched
     */
    public static Result exportVerified(ExportOptions options, ReferenceForward reference, long seed, int batch,
                                        int height, int width, double tolerance, Path out) {
        ModelProto model = OnnxExporter.exportFp32(options);
        Result r = verify(model, reference, seed, batch, height, width, tolerance);
        if (!r.passed()) {
            throw new GraftException(String.format(java.util.Locale.ROOT,
                    "the export does not match the trained model: largest difference %.3g exceeds the tolerance %.3g"
                            + " (seed %d, batch %d, %dx%d); nothing was written to %s",
                    r.maxAbsDiff(), tolerance, seed, batch, height, width, out));
        }
        OnnxFiles.writeAtomically(OnnxExporter.lowerPrecision(model, options, QuantProgress.NONE), out);
        return r;
    }

    private static int inputChannels(ModelProto model) {
        for (ValueInfoProto v : model.getGraph().getInputList()) {
            if (v.getName().equals(GraftMetadata.INPUT_NAME)) {
                TensorShapeProto shape = v.getType().getTensorType().getShape();
                if (shape.getDimCount() == 4 && shape.getDim(1).hasDimValue()) {
                    return Math.toIntExact(shape.getDim(1).getDimValue());
                }
            }
        }
        throw new GraftException("the model has no input '" + GraftMetadata.INPUT_NAME
                + "' of shape [batch, channels, height, width]; it is not a Graft export");
    }

    private static double[] activate(float[] raw, int batch, int classes, Activation activation) {
        double[] out = new double[raw.length];
        for (int b = 0; b < batch; b++) {
            int row = b * classes;
            switch (activation) {
                case SOFTMAX -> {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < classes; k++) {
                        max = Math.max(max, raw[row + k]);
                    }
                    double sum = 0;
                    for (int k = 0; k < classes; k++) {
                        out[row + k] = Math.exp(raw[row + k] - max);
                        sum += out[row + k];
                    }
                    for (int k = 0; k < classes; k++) {
                        out[row + k] /= sum;
                    }
                }
                case SIGMOID -> {
                    for (int k = 0; k < classes; k++) {
                        out[row + k] = 1 / (1 + Math.exp(-(double) raw[row + k]));
                    }
                }
                case NONE, AUTO -> {
                    for (int k = 0; k < classes; k++) {
                        out[row + k] = raw[row + k];
                    }
                }
                default -> throw new AssertionError(activation);
            }
        }
        return out;
    }
}
