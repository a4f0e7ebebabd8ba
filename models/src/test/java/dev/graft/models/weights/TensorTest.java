package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class TensorTest {
    private static ByteBuffer le(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void ofFloatsStoresLittleEndianF32() {
        Tensor t = Tensor.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f});
        assertThat(t.dtype()).isEqualTo(DType.F32);
        assertThat(t.shape()).containsExactly(2, 3);
        assertThat(t.rank()).isEqualTo(2);
        assertThat(t.elementCount()).isEqualTo(6);
        assertThat(t.byteSize()).isEqualTo(24);
        ByteBuffer data = t.data();
        assertThat(data.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        assertThat(data.position()).isZero();
        assertThat(data.remaining()).isEqualTo(24);
        assertThat(data.get(0)).isEqualTo((byte) 0x00);
        assertThat(data.get(3)).isEqualTo((byte) 0x3f); // 1.0f = 0x3f800000, little-endian
        assertThat(data.getFloat(20)).isEqualTo(-6.5f);
        assertThat(t.toFloatArray()).containsExactly(1, 2, 3, 4, 5, -6.5f);
    }

    @Test
    void isImmutable() {
        long[] shape = {2, 2};
        float[] values = {1, 2, 3, 4};
        Tensor t = Tensor.ofFloats(shape, values);
        shape[0] = 7;
        values[0] = 99;
        t.shape()[1] = 9;
        assertThat(t.shape()).containsExactly(2, 2);
        assertThat(t.toFloatArray()).containsExactly(1, 2, 3, 4);

        ByteBuffer data = t.data();
        assertThat(data.isReadOnly()).isTrue();
        assertThatThrownBy(() -> data.putFloat(0, 5f)).isInstanceOf(ReadOnlyBufferException.class);
        data.position(8);
        assertThat(t.data().position()).isZero();

        ByteBuffer source = le(8).putFloat(1f).putFloat(2f).flip();
        Tensor copied = Tensor.of(DType.F32, new long[] {2}, source);
        assertThat(source.position()).isZero();
        source.putFloat(0, 42f);
        assertThat(copied.toFloatArray()).containsExactly(1f, 2f);
    }

    @Test
    void scalarsHaveOneElementAndEmptyTensorsNone() {
        Tensor scalar = Tensor.of(DType.I64, new long[0], le(8).putLong(0, 4L));
        assertThat(scalar.shape()).isEmpty();
        assertThat(scalar.rank()).isZero();
        assertThat(scalar.elementCount()).isEqualTo(1);
        assertThat(scalar.toLongArray()).containsExactly(4L);
        assertThat(scalar.toFloatArray()).containsExactly(4f);
        assertThat(scalar).hasToString("Tensor(I64 [])");

        Tensor empty = Tensor.ofFloats(new long[] {3, 0}, new float[0]);
        assertThat(empty.elementCount()).isZero();
        assertThat(empty.byteSize()).isZero();
        assertThat(empty.toFloatArray()).isEmpty();
        assertThat(empty.toDType(DType.F16).shape()).containsExactly(3, 0);
    }

    @Test
    void factoriesRefuseInconsistentArguments() {
        assertThatThrownBy(() -> Tensor.of(DType.F32, new long[] {2, 2}, le(12)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs 16 bytes, but 12 were given");
        assertThatThrownBy(() -> Tensor.ofFloats(new long[] {3}, new float[2]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.ofFloats(new long[] {-1}, new float[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
    }

    @Test
    void equalityIsDtypeShapeAndBytes() {
        Tensor a = Tensor.ofFloats(new long[] {2}, new float[] {1, 2});
        Tensor b = Tensor.of(DType.F32, new long[] {2}, le(8).putFloat(0, 1).putFloat(4, 2));
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(Tensor.ofFloats(new long[] {1, 2}, new float[] {1, 2}));
        assertThat(a).isNotEqualTo(Tensor.ofFloats(new long[] {2}, new float[] {1, 3}));
        assertThat(a).isNotEqualTo(Tensor.of(DType.I32, new long[] {2}, a.data()));
        assertThat(Tensor.ofFloats(new long[0], new float[] {0f}))
                .isNotEqualTo(Tensor.ofFloats(new long[0], new float[] {-0f}));
        assertThat(Tensor.ofFloats(new long[0], new float[] {Float.NaN}))
                .isEqualTo(Tensor.ofFloats(new long[0], new float[] {Float.NaN}));
        assertThat(a).hasToString("Tensor(F32 [2])");
    }

    @Test
    void integerDtypesConvertToFloatsAndLongs() {
        assertThat(Tensor.of(DType.I8, new long[] {3}, le(3).put(0, (byte) -1).put(1, (byte) 127).put(2, (byte) -128))
                .toLongArray()).containsExactly(-1, 127, -128);
        assertThat(Tensor.of(DType.U8, new long[] {2}, le(2).put(0, (byte) -1).put(1, (byte) 7))
                .toFloatArray()).containsExactly(255f, 7f);
        assertThat(Tensor.of(DType.BOOL, new long[] {3}, le(3).put(0, (byte) 0).put(1, (byte) 1).put(2, (byte) 2))
                .toLongArray()).containsExactly(0, 1, 1);
        assertThat(Tensor.of(DType.I16, new long[] {2}, le(4).putShort(0, (short) -300).putShort(2, (short) 300))
                .toFloatArray()).containsExactly(-300f, 300f);
        assertThat(Tensor.of(DType.U16, new long[] {1}, le(2).putShort(0, (short) 0xffff)).toLongArray())
                .containsExactly(65535);
        assertThat(Tensor.of(DType.I32, new long[] {2}, le(8).putInt(0, -70000).putInt(4, 1 << 30)).toLongArray())
                .containsExactly(-70000, 1 << 30);
        assertThat(Tensor.of(DType.U32, new long[] {1}, le(4).putInt(0, -1)).toLongArray())
                .containsExactly(0xffffffffL);
        assertThat(Tensor.of(DType.I64, new long[] {2}, le(16).putLong(0, Long.MIN_VALUE).putLong(8, 12))
                .toLongArray()).containsExactly(Long.MIN_VALUE, 12);
        assertThat(Tensor.of(DType.U64, new long[] {1}, le(8).putLong(0, -1L)).toFloatArray())
                .containsExactly(0x1p64f);
        assertThatThrownBy(() -> Tensor.of(DType.U64, new long[] {1}, le(8).putLong(0, -1L)).toLongArray())
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("18446744073709551615");
        assertThatThrownBy(() -> Tensor.ofFloats(new long[] {1}, new float[] {1}).toLongArray())
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("F32");
    }

    @Test
    void floatingDtypesConvertExactly() {
        Tensor f64 = Tensor.of(DType.F64, new long[] {2}, le(16).putDouble(0, 0.1).putDouble(8, -3));
        assertThat(f64.toFloatArray()).containsExactly(0.1f, -3f);
        Tensor f16 = Tensor.of(DType.F16, new long[] {3}, le(6).putShort(0, (short) 0x3c00)
                .putShort(2, (short) 0xc100).putShort(4, (short) 0x0001));
        assertThat(f16.toFloatArray()).containsExactly(1f, -2.5f, 0x1p-24f);
        Tensor bf16 = Tensor.of(DType.BF16, new long[] {2}, le(4).putShort(0, (short) 0x3f80).putShort(2, (short) 0xc020));
        assertThat(bf16.toFloatArray()).containsExactly(1f, -2.5f);
        assertThat(f16.toF32()).isEqualTo(Tensor.ofFloats(new long[] {3}, new float[] {1f, -2.5f, 0x1p-24f}));
    }

    @Test
    void toDTypeNarrowsAndWidens() {
        Tensor f32 = Tensor.ofFloats(new long[] {2, 2}, new float[] {1f, -2.5f, 65504f, 1 + 0x1p-11f});
        Tensor f16 = f32.toDType(DType.F16);
        assertThat(f16.dtype()).isEqualTo(DType.F16);
        assertThat(f16.shape()).containsExactly(2, 2);
        ByteBuffer bits = f16.data();
        assertThat(bits.getShort(0) & 0xffff).isEqualTo(0x3c00);
        assertThat(bits.getShort(2) & 0xffff).isEqualTo(0xc100);
        assertThat(bits.getShort(4) & 0xffff).isEqualTo(0x7bff);
        assertThat(bits.getShort(6) & 0xffff).isEqualTo(0x3c00);
        assertThat(f16.toDType(DType.F32).toFloatArray()).containsExactly(1f, -2.5f, 65504f, 1f);

        Tensor bf16 = f32.toDType(DType.BF16);
        assertThat(bf16.data().getShort(2) & 0xffff).isEqualTo(0xc020);
        assertThat(bf16.toFloatArray()).containsExactly(1f, -2.5f, 65536f, 1f);
        assertThat(bf16.toDType(DType.F16).toFloatArray()).containsExactly(1f, -2.5f, Float.POSITIVE_INFINITY, 1f);

        assertThat(f32.toDType(DType.F32)).isSameAs(f32);
        assertThat(f32.toF32()).isSameAs(f32);
        assertThatThrownBy(() -> f32.toDType(DType.I8))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("only F32, F16 and BF16");
    }
}
