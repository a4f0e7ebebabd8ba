package dev.graft.exporter.onnx;

import java.util.Arrays;

/**
 * The ONNX operators Graft emits, each with the opset versions at which its definition changed.
 *
 * <p>An operator's behaviour is fixed by the newest definition at or below the model's opset, so the translation
 * needs to know which definition it is writing for: {@code Clip} takes its bounds as inputs from version 11,
 * {@code BatchNormalization} gained {@code training_mode} in 14, {@code HardSwish} does not exist before 14,
 * {@code LayerNormalization} before 17. Only
 * versions up to {@link OnnxOpset#MAX} are listed; later changes (for example {@code Conv} in opset 22) do not
 * concern a model Graft writes. The lists were taken from ONNX's operator schemas ({@code onnx.defs}) and a test
 * checks them against the installed ONNX where one is available.
 */
public enum OnnxOperator {
    CONV("Conv", 1, 11),
    RELU("Relu", 1, 6, 13, 14),
    MAX_POOL("MaxPool", 1, 8, 10, 11, 12),
    ADD("Add", 1, 6, 7, 13, 14),
    AVERAGE_POOL("AveragePool", 1, 7, 10, 11),
    GLOBAL_AVERAGE_POOL("GlobalAveragePool", 1),
    GLOBAL_MAX_POOL("GlobalMaxPool", 1),
    CONCAT("Concat", 1, 4, 11, 13),
    FLATTEN("Flatten", 1, 9, 11, 13),
    GEMM("Gemm", 1, 6, 7, 9, 11, 13),
    MAT_MUL("MatMul", 1, 9, 13),
    BATCH_NORMALIZATION("BatchNormalization", 1, 6, 7, 9, 14, 15),
    DROPOUT("Dropout", 1, 6, 7, 10, 12, 13),
    SOFTMAX("Softmax", 1, 11, 13),
    SIGMOID("Sigmoid", 1, 6, 13),
    MUL("Mul", 1, 6, 7, 13, 14),
    SUB("Sub", 1, 6, 7, 13, 14),
    IDENTITY("Identity", 1, 13, 14, 16),
    CLIP("Clip", 1, 6, 11, 12, 13),
    HARD_SWISH("HardSwish", 14),
    HARD_SIGMOID("HardSigmoid", 1, 6),
    CAST("Cast", 1, 6, 9, 13),
    DIV("Div", 1, 6, 7, 13, 14),
    SQRT("Sqrt", 1, 6, 13),
    ERF("Erf", 9, 13),
    REDUCE_MEAN("ReduceMean", 1, 11, 13),
    TRANSPOSE("Transpose", 1, 13),
    LAYER_NORMALIZATION("LayerNormalization", 17),
    QUANTIZE_LINEAR("QuantizeLinear", 10, 13),
    DEQUANTIZE_LINEAR("DequantizeLinear", 10, 13);

    private final String opType;
    private final int[] versions;

    OnnxOperator(String opType, int... versions) {
        this.opType = opType;
        this.versions = versions;
    }

    /** The {@code op_type} string of the default ONNX domain. */
    public String opType() {
        return opType;
    }

    /** The first opset in which the operator exists. */
    public int introducedIn() {
        return versions[0];
    }

    /** Whether a model at {@code opset} may use the operator. */
    public boolean availableIn(int opset) {
        return opset >= versions[0];
    }

    /**
     * The version of the operator's definition that governs a model at {@code opset}: the newest change at or
     * below it.
     *
     * @throws IllegalArgumentException if {@code opset} is unsupported or older than the operator
     */
    public int versionAt(int opset) {
        OnnxOpset.requireSupported(opset);
        if (!availableIn(opset)) {
            throw new IllegalArgumentException(
                    opType + " needs ONNX opset " + versions[0] + " or newer; the model targets opset " + opset);
        }
        int version = versions[0];
        for (int v : versions) {
            if (v <= opset) {
                version = v;
            }
        }
        return version;
    }

    /** The opset versions at which the definition changed, oldest first, up to {@link OnnxOpset#MAX}. */
    public int[] changes() {
        return Arrays.copyOf(versions, versions.length);
    }
}
