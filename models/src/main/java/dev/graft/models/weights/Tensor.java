package dev.graft.models.weights;

import dev.graft.models.GraftException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One named array of weights, exactly as a safetensors file stores it: a dtype, a shape and little-endian bytes.
 *
 * <p>A tensor keeps the bytes rather than decoded numbers so that a mapped checkpoint costs no heap until a value is
 * actually needed, and so that writing a tensor back reproduces the file byte for byte. It is immutable: the factories
 * copy what they are given, and {@link #data()} hands out read-only views, so a tensor can be shared between threads and
 * between the models that load it without anyone defending against anyone else.
 *
 * <p>Shapes follow PyTorch: row-major (C order), and an empty shape is a 0-d scalar holding one element, which is how
 * BatchNorm's {@code num_batches_tracked} appears in PyTorch checkpoints.
 */
public final class Tensor {
    private final DType dtype;
    private final long[] shape;
    private final long elementCount;
    /** Read-only, little-endian, position 0, limit = byte length; never handed out itself, only duplicates. */
    private final ByteBuffer data;
    private int hash;

    private Tensor(DType dtype, long[] shape, long elementCount, ByteBuffer data) {
        this.dtype = dtype;
        this.shape = shape;
        this.elementCount = elementCount;
        this.data = data;
    }

    /** A 32-bit float tensor holding {@code values} in row-major order. */
    public static Tensor ofFloats(long[] shape, float[] values) {
        long[] dims = shape.clone();
        long count = checkedElementCount(dims);
        if (count != values.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(dims) + " holds " + count + " elements, but " + values.length + " values were given");
        }
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return new Tensor(DType.F32, dims, count, bytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** A 64-bit integer tensor holding {@code values} in row-major order. */
    public static Tensor ofLongs(long[] shape, long[] values) {
        long[] dims = shape.clone();
        long count = checkedElementCount(dims);
        if (count != values.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(dims) + " holds " + count + " elements, but " + values.length + " values were given");
        }
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, 8)).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        return new Tensor(DType.I64, dims, count, bytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * A tensor of any dtype from raw little-endian bytes: the buffer's remaining bytes are copied (its position is left
     * alone), so the caller may reuse the buffer afterwards.
     *
     * @throws IllegalArgumentException if a dimension is negative or the byte count is not elements x dtype size
     */
    public static Tensor of(DType dtype, long[] shape, ByteBuffer littleEndianData) {
        long[] dims = shape.clone();
        long count = checkedElementCount(dims);
        long expected = expectedBytes(dtype, dims, count);
        if (littleEndianData.remaining() != expected) {
            throw new IllegalArgumentException(dtype + " " + Arrays.toString(dims) + " needs " + expected + " bytes, but "
                    + littleEndianData.remaining() + " were given");
        }
        ByteBuffer copy = ByteBuffer.allocate((int) expected);
        copy.put(littleEndianData.duplicate());
        copy.flip();
        return new Tensor(dtype, dims, count, copy.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * A tensor over {@code view} without copying it, for buffers nobody else can write (a read-only file mapping, or a
     * private copy). The caller has checked the byte count.
     */
    static Tensor wrap(DType dtype, long[] shape, ByteBuffer view) {
        long[] dims = shape.clone();
        long count = checkedElementCount(dims);
        if (view.remaining() != expectedBytes(dtype, dims, count)) {
            throw new IllegalArgumentException("byte count does not match " + dtype + " " + Arrays.toString(dims));
        }
        return new Tensor(dtype, dims, count, view.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    public DType dtype() {
        return dtype;
    }

    /** The dimensions, outermost first; empty for a scalar. A copy, so changing it changes nothing here. */
    public long[] shape() {
        return shape.clone();
    }

    /** The number of dimensions: 0 for a scalar. */
    public int rank() {
        return shape.length;
    }

    /** The number of elements: the product of the shape, 1 for a scalar, 0 when a dimension is 0. */
    public long elementCount() {
        return elementCount;
    }

    /** The number of data bytes: elements x dtype size. */
    public long byteSize() {
        return data.limit();
    }

    /**
     * The raw bytes, little-endian, positioned at 0: a read-only view over the tensor's own storage (for an opened file,
     * the mapping), never a copy, so reading a large tensor costs no memory. Each call returns a fresh view whose
     * position the caller may move freely.
     */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The elements as floats, row-major. Floating-point dtypes convert exactly except F64 (rounded to nearest);
     * integer dtypes convert as Java's {@code (float)} cast does, unsigned ones read as unsigned, BOOL as 0 or 1.
     *
     * @throws GraftException if the tensor has more elements than a Java array can hold
     */
    public float[] toFloatArray() {
        int n = arrayLength();
        float[] out = new float[n];
        ByteBuffer b = data();
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = f16BitsToFloat(b.getShort(i * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = bf16BitsToFloat(b.getShort(i * 2));
                }
            }
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getLong(i * 8);
                }
            }
            case U64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = unsignedLongToFloat(b.getLong(i * 8));
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(i * 4);
                }
            }
            case U32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Integer.toUnsignedLong(b.getInt(i * 4));
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getShort(i * 2);
                }
            }
            case U16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Short.toUnsignedInt(b.getShort(i * 2));
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Byte.toUnsignedInt(b.get(i));
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) != 0 ? 1f : 0f;
                }
            }
            default -> throw new AssertionError(dtype);
        }
        return out;
    }

    /**
     * The elements of an integer tensor as longs, row-major; unsigned dtypes read as unsigned, BOOL as 0 or 1.
     *
     * @throws GraftException if the dtype is floating-point, a U64 value does not fit a long, or the tensor has more
     *     elements than a Java array can hold
     */
    public long[] toLongArray() {
        if (dtype.isFloatingPoint()) {
            throw new GraftException("a " + dtype + " tensor " + Arrays.toString(shape)
                    + " has no integer values; an integer dtype was expected");
        }
        int n = arrayLength();
        long[] out = new long[n];
        ByteBuffer b = data();
        switch (dtype) {
            case I64 -> b.asLongBuffer().get(out);
            case U64 -> {
                for (int i = 0; i < n; i++) {
                    long v = b.getLong(i * 8);
                    if (v < 0) {
                        throw new GraftException("U64 value " + Long.toUnsignedString(v) + " at index " + i
                                + " does not fit a signed 64-bit integer");
                    }
                    out[i] = v;
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(i * 4);
                }
            }
            case U32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Integer.toUnsignedLong(b.getInt(i * 4));
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getShort(i * 2);
                }
            }
            case U16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Short.toUnsignedInt(b.getShort(i * 2));
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Byte.toUnsignedInt(b.get(i));
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) != 0 ? 1L : 0L;
                }
            }
            default -> throw new AssertionError(dtype);
        }
        return out;
    }

    /** This tensor as F32: itself when it already is, otherwise a converted copy (see {@link #toFloatArray()}). */
    public Tensor toF32() {
        return dtype == DType.F32 ? this : ofFloats(shape, toFloatArray());
    }

    /**
     * This tensor converted to F32, F16 or BF16, for saving weights at a smaller width; narrowing rounds to nearest,
     * ties to even, as PyTorch's {@code .half()} and {@code .bfloat16()} do. Returns itself when the dtype already
     * matches.
     *
     * @throws GraftException if {@code target} is not F32, F16 or BF16
     */
    public Tensor toDType(DType target) {
        if (target == dtype) {
            return this;
        }
        switch (target) {
            case F32:
                return toF32();
            case F16:
            case BF16: {
                float[] values = toFloatArray();
                ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < values.length; i++) {
                    bytes.putShort(i * 2, target == DType.F16 ? floatToF16Bits(values[i]) : floatToBf16Bits(values[i]));
                }
                return new Tensor(target, shape.clone(), elementCount, bytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
            }
            default:
                throw new GraftException("cannot convert a " + dtype + " tensor to " + target
                        + ": only F32, F16 and BF16 are supported as targets");
        }
    }

    /** Equal when dtype, shape and every data byte are equal (so NaNs with the same bits are equal, 0.0 and -0.0 not). */
    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof Tensor t && dtype == t.dtype && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + data.hashCode();
            hash = h;
        }
        return h;
    }

    /** Dtype and shape only, never the values: tensors are printed in messages and logs. */
    @Override
    public String toString() {
        return "Tensor(" + dtype + " " + Arrays.toString(shape) + ")";
    }

    // ---- IEEE 754 half precision and bfloat16 ------------------------------------------------------------------

    /** The float an IEEE 754 binary16 bit pattern stands for; exact for every pattern (subnormals, infinities, NaNs). */
    public static float f16BitsToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0) {
            // zero or subnormal: mantissa x 2^-24, exact in float
            float magnitude = Math.scalb((float) mantissa, -24);
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exponent == 0x1f) {
            // infinity (mantissa 0) or NaN, keeping the payload
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    /**
     * The IEEE 754 binary16 bit pattern nearest to {@code value}, ties to even; values from 65520 up become infinity,
     * tiny values become subnormals or a signed zero, NaN stays a (quiet) NaN.
     */
    public static short floatToF16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            if (abs == 0x7f800000) {
                return (short) (sign | 0x7c00);
            }
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff)); // quiet NaN, keeping what payload fits
        }
        if (abs >= 0x477ff000) {
            return (short) (sign | 0x7c00); // 65520 and above round to infinity
        }
        if (abs >= 0x38800000) {
            // normal half: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits
            int h = (abs - 0x38000000) >>> 13;
            int rest = abs & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
                h++; // a carry into the exponent is still the right answer
            }
            return (short) (sign | h);
        }
        if (abs <= 0x33000000) {
            return (short) sign; // at most 2^-25, half the smallest subnormal: ties to even gives zero
        }
        // subnormal half: value x 2^24 rounded to an integer
        int exponent = abs >>> 23;
        int mantissa = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - exponent; // 14..24
        int h = mantissa >>> shift;
        int rest = mantissa & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (h & 1) != 0)) {
            h++; // 0x400 is the smallest normal, also the right answer
        }
        return (short) (sign | h);
    }

    /** The float a bfloat16 bit pattern stands for: bfloat16 is the top half of a float, so this is exact. */
    public static float bf16BitsToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** The bfloat16 bit pattern nearest to {@code value}, ties to even; NaN stays a (quiet) NaN. */
    public static short floatToBf16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private int arrayLength() {
        if (elementCount > Integer.MAX_VALUE - 8) {
            throw new GraftException(this + " has " + elementCount + " elements, more than a Java array can hold");
        }
        return (int) elementCount;
    }

    private static float unsignedLongToFloat(long v) {
        if (v >= 0) {
            return v;
        }
        // halve keeping the sticky bit, so the conversion still rounds correctly, then double
        return ((v >>> 1) | (v & 1)) * 2f;
    }

    /** The product of the dimensions, checking that none is negative and that it fits a long. */
    static long checkedElementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                count = Math.multiplyExact(count, dim);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements", e);
            }
        }
        return count;
    }

    private static long expectedBytes(DType dtype, long[] shape, long count) {
        try {
            long bytes = Math.multiplyExact(count, dtype.byteSize());
            if (bytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(dtype + " " + Arrays.toString(shape) + " needs " + bytes
                        + " bytes; a tensor holds at most 2 GiB");
            }
            return bytes;
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements", e);
        }
    }
}
