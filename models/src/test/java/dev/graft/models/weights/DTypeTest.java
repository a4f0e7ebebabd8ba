package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import org.junit.jupiter.api.Test;

class DTypeTest {
    @Test
    void byteSizesFollowTheFormat() {
        assertThat(DType.F64.byteSize()).isEqualTo(8);
        assertThat(DType.F32.byteSize()).isEqualTo(4);
        assertThat(DType.F16.byteSize()).isEqualTo(2);
        assertThat(DType.BF16.byteSize()).isEqualTo(2);
        assertThat(DType.I64.byteSize()).isEqualTo(8);
        assertThat(DType.I32.byteSize()).isEqualTo(4);
        assertThat(DType.I16.byteSize()).isEqualTo(2);
        assertThat(DType.I8.byteSize()).isEqualTo(1);
        assertThat(DType.U8.byteSize()).isEqualTo(1);
        assertThat(DType.BOOL.byteSize()).isEqualTo(1);
    }

    @Test
    void everyNameRoundTrips() {
        for (DType dtype : DType.values()) {
            assertThat(DType.fromSafetensorsName(dtype.safetensorsName())).isSameAs(dtype);
        }
        assertThat(DType.BF16.safetensorsName()).isEqualTo("BF16");
        assertThat(DType.BOOL.safetensorsName()).isEqualTo("BOOL");
    }

    @Test
    void unknownNamesAreRefusedWithTheName() {
        assertThatThrownBy(() -> DType.fromSafetensorsName("F8_E4M3"))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("unknown safetensors dtype 'F8_E4M3'")
                .hasMessageContaining("F32");
        assertThatThrownBy(() -> DType.fromSafetensorsName("f32")).isInstanceOf(GraftException.class);
        assertThatThrownBy(() -> DType.fromSafetensorsName(null)).isInstanceOf(GraftException.class);
    }
}
