package dev.graft.exporter.onnx;

/**
 * The range of default-domain ONNX opsets Graft can write, and the IR version each one needs.
 *
 * <p>13 is the floor because it is the first opset in which every operator Graft uses, except {@code HardSwish},
 * has the form the exporter writes: {@code Softmax} over one axis rather than a flattened 2-D view, {@code Clip}
 * with tensor bounds, per-axis {@code QuantizeLinear}/{@code DequantizeLinear}. 17 is the ceiling because it is
 * the newest opset known to the ONNX checker that Graft's tests use as an oracle (ONNX 1.12).
 *
 * <p>The IR version is not free to choose: a runtime refuses a model whose IR version is older than its opset
 * requires, and an older runtime refuses an IR version it does not know. Graft writes the lowest IR version that
 * the ONNX release introducing the opset used, per ONNX's versioning table (docs/Versioning.md).
 */
public final class OnnxOpset {
    /** The oldest opset Graft writes. */
    public static final int MIN = 13;
    /** The newest opset Graft writes. */
    public static final int MAX = 17;
    /** The opset Graft writes unless asked otherwise. */
    public static final int DEFAULT = 17;

    private OnnxOpset() {
    }

    /**
     * The IR version a model at {@code opset} declares.
     *
     * <p>ONNX 1.8 (opset 13) and 1.9 (opset 14) use IR 7; ONNX 1.10, 1.11 and 1.12 (opsets 15, 16, 17) use IR 8.
     *
     * @throws IllegalArgumentException if {@code opset} is outside {@link #MIN}..{@link #MAX}
     */
    public static int irVersion(int opset) {
        requireSupported(opset);
        return opset <= 14 ? 7 : 8;
    }

    /**
     * Returns {@code opset} if Graft can write it.
     *
     * @throws IllegalArgumentException if {@code opset} is outside {@link #MIN}..{@link #MAX}
     */
    public static int requireSupported(int opset) {
        if (opset < MIN || opset > MAX) {
            throw new IllegalArgumentException(
                    "ONNX opset " + opset + " is not supported; Graft writes opsets " + MIN + " to " + MAX);
        }
        return opset;
    }
}
