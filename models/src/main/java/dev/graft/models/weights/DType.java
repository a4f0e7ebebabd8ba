package dev.graft.models.weights;

import dev.graft.models.GraftException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element types a safetensors file can name.
 *
 * <p>Graft keeps the file's own dtype instead of widening everything to float on load, so a checkpoint can be rewritten
 * bit for bit, and so integer bookkeeping such as BatchNorm's {@code num_batches_tracked} survives a round trip.
 */
public enum DType {
    F64(8, true),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U64(8, false),
    U32(4, false),
    U16(2, false),
    U8(1, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The name the safetensors header uses, such as {@code "F32"} or {@code "BOOL"}. */
    public String safetensorsName() {
        return name();
    }

    /** Whether elements are floating-point numbers; the others are integers (BOOL counts as an integer 0 or 1). */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * The dtype a safetensors header names.
     *
     * @throws GraftException if Graft does not know the name (names are case-sensitive, as in the format)
     */
    public static DType fromSafetensorsName(String name) {
        DType dtype = lookup(name);
        if (dtype == null) {
            throw new GraftException("unknown safetensors dtype '" + name + "' (known: " + knownNames() + ")");
        }
        return dtype;
    }

    /** The dtype for a header name, or null when unknown. */
    static DType lookup(String name) {
        if (name == null) {
            return null;
        }
        for (DType dtype : values()) {
            if (dtype.safetensorsName().equals(name)) {
                return dtype;
            }
        }
        return null;
    }

    static String knownNames() {
        return Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
    }
}
