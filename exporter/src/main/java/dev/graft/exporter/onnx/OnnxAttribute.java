package dev.graft.exporter.onnx;

import com.google.protobuf.ByteString;
import dev.graft.exporter.onnx.proto.OnnxProto.AttributeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import java.util.Objects;

/**
 * One attribute of an ONNX node, built through a factory that sets the value field and the {@code type}
 * discriminator together.
 *
 * <p>An {@code AttributeProto} with a value but no (or the wrong) {@code type} is accepted by protobuf and
 * rejected later by a runtime, far from the code that wrote it; the typed factories make that mistake
 * impossible. ONNX integers are 64-bit, so the integer factories take {@code long}s (int arguments widen).
 */
public final class OnnxAttribute {
    private final AttributeProto proto;

    private OnnxAttribute(AttributeProto proto) {
        this.proto = proto;
    }

    /** An {@code INT} attribute such as {@code axis} or {@code transB}. */
    public static OnnxAttribute ofInt(String name, long value) {
        return new OnnxAttribute(start(name, AttributeType.INT).setI(value).build());
    }

    /** An {@code INTS} attribute such as {@code kernel_shape} or {@code pads}. */
    public static OnnxAttribute ofInts(String name, long... values) {
        AttributeProto.Builder b = start(name, AttributeType.INTS);
        for (long v : values) {
            b.addInts(v);
        }
        return new OnnxAttribute(b.build());
    }

    /** A {@code FLOAT} attribute such as {@code epsilon} or {@code alpha}. */
    public static OnnxAttribute ofFloat(String name, float value) {
        return new OnnxAttribute(start(name, AttributeType.FLOAT).setF(value).build());
    }

    /** A {@code FLOATS} attribute. */
    public static OnnxAttribute ofFloats(String name, float... values) {
        AttributeProto.Builder b = start(name, AttributeType.FLOATS);
        for (float v : values) {
            b.addFloats(v);
        }
        return new OnnxAttribute(b.build());
    }

    /** A {@code STRING} attribute such as {@code auto_pad}; stored as UTF-8 bytes, as ONNX specifies. */
    public static OnnxAttribute ofString(String name, String value) {
        Objects.requireNonNull(value, "value");
        return new OnnxAttribute(start(name, AttributeType.STRING).setS(ByteString.copyFromUtf8(value)).build());
    }

    private static AttributeProto.Builder start(String name, AttributeType type) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an ONNX attribute needs a name");
        }
        return AttributeProto.newBuilder().setName(name).setType(type);
    }

    /** The attribute's name. */
    public String name() {
        return proto.getName();
    }

    /** The protobuf form, ready to add to a {@code NodeProto}. */
    public AttributeProto toProto() {
        return proto;
    }

    @Override
    public String toString() {
        return proto.getName() + ":" + proto.getType();
    }
}
