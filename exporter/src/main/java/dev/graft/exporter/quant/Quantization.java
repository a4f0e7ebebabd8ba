package dev.graft.exporter.quant;

/**
 * The two integer encodings a Graft int8 model uses, as ONNX's {@code QuantizeLinear} defines them:
 * {@code q = saturate(round_half_even(x / scale) + zero_point)}, {@code x ~ (q - zero_point) * scale}.
 *
 * <ul>
 *   <li><b>Activations: uint8, asymmetric, one scale per tensor.</b> On x86, ONNX Runtime fuses QDQ pairs into its
 *       integer kernels (QLinearConv, QLinearAdd, QLinearGlobalAveragePool) for uint8 activations with int8 weights;
 *       with int8 activations most convolutions and every residual add stayed unfused on this project's machine and
 *       the model was no faster than float32. Asymmetric also spends all 256 levels on a ReLU output, which a
 *       symmetric range would halve.</li>
 *   <li><b>Weights: int8, symmetric ({@code [-127, 127]}, zero point 0), one scale per output channel.</b> Channels
 *       of a folded convolution differ in magnitude by orders (BatchNorm's scale went into them), so one scale per
 *       tensor would flatten the small ones to a few levels. A zero point of 0 keeps the integer kernels simple.</li>
 * </ul>
 */
public final class Quantization {
    private Quantization() {
    }

    /** A uint8 activation encoding. */
    public record Uint8(float scale, int zeroPoint) {
        /** The value {@code q} stands for. */
        public float dequantize(int q) {
            return (q - zeroPoint) * scale;
        }
    }

    /**
     * The uint8 encoding of {@code [low, high]}, widened to contain zero so that zero (padding, ReLU's output) is
     * represented exactly. A tensor that was zero throughout gets scale 1, which encodes its zeros exactly.
     */
    public static Uint8 uint8(double low, double high) {
        double lo = Math.min(low, 0);
        double hi = Math.max(high, 0);
        double scale = (hi - lo) / 255;
        if (!(scale > 0) || !Double.isFinite(scale) || (float) scale == 0f) {
            return new Uint8(1f, 0);
        }
        float s = (float) scale;
        long zero = Math.round(-lo / s);
        return new Uint8(s, (int) Math.max(0, Math.min(255, zero)));
    }

    /** Per-channel int8 weights and their scales. */
    public record Int8Weights(byte[] values, float[] scales) {
    }

    /**
     * Quantises a weight tensor per slice along {@code axis} (the output channels), symmetric to {@code [-127, 127]}.
     * An all-zero channel gets scale 1 (its values stay exactly 0).
     *
     * @param shape the tensor's dimensions; {@code weights.length} must be their product
     */
    public static Int8Weights int8PerChannel(float[] weights, long[] shape, int axis) {
        int channels = (int) shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner = Math.multiplyExact(inner, (int) shape[d]);
        }
        float[] absMax = new float[channels];
        for (int i = 0; i < weights.length; i++) {
            int c = (i / inner) % channels;
            absMax[c] = Math.max(absMax[c], Math.abs(weights[i]));
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            scales[c] = absMax[c] > 0 ? absMax[c] / 127f : 1f;
            if (scales[c] == 0f) {
                scales[c] = Float.MIN_NORMAL; // a channel of denormals: keep the scale representable
            }
        }
        byte[] q = new byte[weights.length];
        for (int i = 0; i < weights.length; i++) {
            int c = (i / inner) % channels;
            long v = Math.round(Math.rint(weights[i] / scales[c]));
            q[i] = (byte) Math.max(-127, Math.min(127, v));
        }
        return new Int8Weights(q, scales);
    }
}
