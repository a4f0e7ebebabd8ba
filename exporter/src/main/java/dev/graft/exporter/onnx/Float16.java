package dev.graft.exporter.onnx;

/**
 * IEEE 754 half precision (binary16) conversions, as ONNX stores {@code FLOAT16} tensors.
 *
 * <p>Java 17, Graft's baseline, has no {@code Float.floatToFloat16} (it arrived in Java 20), so the rounding is written
 * out here: round to nearest, ties to even, overflow to infinity, subnormals kept, NaN kept a quiet NaN. These are the
 * rules of numpy's {@code astype(np.float16)} and of the hardware conversion instructions, so a weight converted here
 * is the weight any other tool would have written.
 */
public final class Float16 {
    /** The largest finite half-precision value, 65504. */
    public static final float MAX_VALUE = 65504f;

    private Float16() {
    }

    /** The binary16 bit pattern nearest to {@code value}. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exponent == 0xFF) { // infinity or NaN
            return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int e = exponent - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00); // too large: infinity
        }
        if (e <= 0) { // subnormal half, or zero
            if (e < -10) {
                return (short) sign;
            }
            int m = mantissa | 0x800000; // the implicit leading one
            int shift = 14 - e;
            int half = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++; // may carry into the exponent, and up to infinity, which is the correct rounding
        }
        return (short) (sign | half);
    }

    /** The float value of a binary16 bit pattern (exact: every half is a float). */
    public static float toFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    /** Converts every value; see {@link #fromFloat}. */
    public static short[] fromFloats(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = fromFloat(values[i]);
        }
        return out;
    }
}
