package dev.graft.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Float16Test {
    @Test
    void knownValues() {
        assertThat(Float16.fromFloat(1f)).isEqualTo((short) 0x3C00);
        assertThat(Float16.fromFloat(-2f)).isEqualTo((short) 0xC000);
        assertThat(Float16.fromFloat(65504f)).isEqualTo((short) 0x7BFF);
        assertThat(Float16.fromFloat(65520f)).isEqualTo((short) 0x7C00); // rounds up to infinity
        assertThat(Float16.fromFloat(0x1p-24f)).isEqualTo((short) 0x0001); // the smallest subnormal
        assertThat(Float16.fromFloat(0x1p-25f)).isEqualTo((short) 0x0000); // a tie, to even (zero)
        assertThat(Float16.fromFloat(0x1.8p-25f)).isEqualTo((short) 0x0001);
        assertThat(Float16.fromFloat(1f + 0x1p-11f)).isEqualTo((short) 0x3C00); // tie to even: down
        assertThat(Float16.fromFloat(1f + 0x3p-11f)).isEqualTo((short) 0x3C02); // tie to even: up
        assertThat(Float16.fromFloat(-0f)).isEqualTo((short) 0x8000);
        assertThat(Float16.toFloat(Float16.fromFloat(Float.NaN))).isNaN();
        assertThat(Float16.toFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void everyHalfSurvivesTheRoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = Float16.toFloat(h);
            if (!Float.isNaN(f)) {
                assertThat(Float16.fromFloat(f)).as("0x%04x", bits).isEqualTo(h);
            }
        }
    }

    @Test
    void roundsToTheNearestHalf() {
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) (Math.abs(r.nextGaussian()) * Math.pow(10, r.nextInt(9) - 6));
            short h = Float16.fromFloat(f);
            float back = Float16.toFloat(h);
            float up = Float16.toFloat((short) (h + 1));
            float down = h > 0 ? Float16.toFloat((short) (h - 1)) : Float.NEGATIVE_INFINITY;
            assertThat(Math.abs(back - f)).as("%s", f)
                    .isLessThanOrEqualTo(Math.min(Math.abs(up - f), Math.abs(down - f)));
        }
    }
}
