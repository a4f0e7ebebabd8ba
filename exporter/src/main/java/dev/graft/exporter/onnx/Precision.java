package dev.graft.exporter.onnx;

import dev.graft.models.GraftException;
import java.util.Locale;

/**
 * The numeric precision of an exported model, written under {@link GraftMetadata#PRECISION} so that a runtime can
 * pick the session settings the file needs without inspecting its graph.
 *
 * <p>Whatever the precision, the graph's input and outputs stay float32 and the final softmax or sigmoid is computed
 * in float32: an application feeds and reads every Graft model the same way.
 */
public enum Precision {
    /** Float32 weights and compute: the reference. */
    FP32("fp32"),
    /**
     * Float16 weights and compute, with casts at the input and before the activation; halves the file and suits
     * GPUs with half-precision units. ONNX Runtime's CPU provider runs it too, but through inserted casts.
     */
    FP16("fp16"),
    /**
     * Calibrated static int8 in QDQ form: int8 per-channel weights, uint8 per-tensor activations. ONNX Runtime turns
     * the QDQ pairs into integer kernels only at graph optimisation level "all".
     */
    INT8("int8");

    private final String metadataValue;

    Precision(String metadataValue) {
        this.metadataValue = metadataValue;
    }

    /** The value written under {@link GraftMetadata#PRECISION}. */
    public String metadataValue() {
        return metadataValue;
    }

    /**
     * The precision named by a metadata value or command-line word ({@code fp32}, {@code fp16}, {@code int8}).
     *
     * @throws GraftException for any other word
     */
    public static Precision parse(String text) {
        for (Precision p : values()) {
            if (p.metadataValue.equals(text.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new GraftException("precision must be fp32, fp16 or int8, not '" + text + "'");
    }
}
