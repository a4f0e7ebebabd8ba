package dev.graft.exporter.quant;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QuantizationTest {
    @Test
    void uint8RepresentsZeroExactlyAndSpendsAllLevelsOnAReluRange() {
        Quantization.Uint8 relu = Quantization.uint8(0, 6);
        assertThat(relu.zeroPoint()).isZero();
        assertThat(relu.scale()).isEqualTo(6f / 255);
        Quantization.Uint8 signed = Quantization.uint8(-1, 3);
        assertThat(signed.dequantize(signed.zeroPoint())).isZero();
        assertThat(signed.zeroPoint()).isEqualTo(64); // round(1 / (4/255))
        // A range that excludes zero is widened to include it.
        assertThat(Quantization.uint8(2, 5)).isEqualTo(Quantization.uint8(0, 5));
    }

    @Test
    void int8WeightsAreSymmetricPerOutputChannel() {
        // Two output channels of 1 x 2 x 2, magnitudes 100x apart: each gets its own scale.
        float[] w = {1f, -0.5f, 0.25f, 0f, 0.011f, -0.02f, 0.005f, 0.0f};
        Quantization.Int8Weights q = Quantization.int8PerChannel(w, new long[] {2, 1, 2, 2}, 0);
        assertThat(q.scales()).containsExactly(1f / 127, 0.02f / 127);
        assertThat(q.values()).containsExactly(127, -64, 32, 0, 70, -127, 32, 0);
        for (int i = 0; i < w.length; i++) {
            float back = q.values()[i] * q.scales()[i / 4];
            assertThat(Math.abs(back - w[i])).isLessThanOrEqualTo(q.scales()[i / 4] / 2 + 1e-9f);
        }
        // Along axis 1 (Gemm without transB: [in, out]) the channels are columns.
        Quantization.Int8Weights columns = Quantization.int8PerChannel(new float[] {1f, 0.1f, -1f, 0.05f},
                new long[] {2, 2}, 1);
        assertThat(columns.scales()).containsExactly(1f / 127, 0.1f / 127);
        assertThat(Quantization.int8PerChannel(new float[4], new long[] {1, 4}, 0).scales()).containsExactly(1f);
    }
}
