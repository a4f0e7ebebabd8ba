package dev.graft.exporter.onnx;

import dev.graft.exporter.onnx.proto.OnnxProto.TensorShapeProto;
import java.util.Objects;

/**
 * One dimension of a graph input or output: a fixed size, or a named symbol such as {@code "batch"}.
 *
 * <p>A Graft classifier accepts any batch size and, because its body ends in global pooling, any image size, so
 * its inputs carry symbols rather than numbers. Dimensions sharing a symbol must be equal at run time, which is
 * how a model says "the output batch is the input batch".
 */
public final class OnnxDim {
    private final long value;
    private final String symbol;

    private OnnxDim(long value, String symbol) {
        this.value = value;
        this.symbol = symbol;
    }

    /** A dimension of exactly {@code size} elements. */
    public static OnnxDim fixed(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("a dimension cannot be negative: " + size);
        }
        return new OnnxDim(size, null);
    }

    /** A dimension whose size is chosen at run time and named {@code name} (ONNX {@code dim_param}). */
    public static OnnxDim symbolic(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a symbolic dimension needs a name");
        }
        return new OnnxDim(-1, name);
    }

    /** The protobuf form. */
    public TensorShapeProto.Dimension toProto() {
        TensorShapeProto.Dimension.Builder b = TensorShapeProto.Dimension.newBuilder();
        return (symbol != null ? b.setDimParam(symbol) : b.setDimValue(value)).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxDim d && d.value == value && Objects.equals(d.symbol, symbol);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, symbol);
    }

    @Override
    public String toString() {
        return symbol != null ? symbol : Long.toString(value);
    }
}
