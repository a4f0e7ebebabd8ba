package dev.graft.models.weights;

import static dev.graft.models.weights.Tensor.bf16BitsToFloat;
import static dev.graft.models.weights.Tensor.f16BitsToFloat;
import static dev.graft.models.weights.Tensor.floatToBf16Bits;
import static dev.graft.models.weights.Tensor.floatToF16Bits;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfPrecisionTest {
    private static int f16(float value) {
        return floatToF16Bits(value) & 0xffff;
    }

    private static int bf16(float value) {
        return floatToBf16Bits(value) & 0xffff;
    }

    @Test
    void f16KnownBitPatterns() {
        assertThat(f16(1.0f)).isEqualTo(0x3c00);
        assertThat(f16(-2.5f)).isEqualTo(0xc100);
        assertThat(f16(65504f)).isEqualTo(0x7bff);
        assertThat(f16(0x1p-24f)).isEqualTo(0x0001); // smallest subnormal
        assertThat(f16(1023 * 0x1p-24f)).isEqualTo(0x03ff); // largest subnormal
        assertThat(f16(0x1p-14f)).isEqualTo(0x0400); // smallest normal
        assertThat(f16(0.0f)).isEqualTo(0x0000);
        assertThat(f16(-0.0f)).isEqualTo(0x8000);
        assertThat(f16(Float.POSITIVE_INFINITY)).isEqualTo(0x7c00);
        assertThat(f16(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
        int nan = f16(Float.NaN);
        assertThat(nan & 0x7c00).isEqualTo(0x7c00);
        assertThat(nan & 0x03ff).isNotZero();

        assertThat(f16BitsToFloat((short) 0x3c00)).isEqualTo(1.0f);
        assertThat(f16BitsToFloat((short) 0xc100)).isEqualTo(-2.5f);
        assertThat(f16BitsToFloat((short) 0x7bff)).isEqualTo(65504f);
        assertThat(f16BitsToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(f16BitsToFloat((short) 0x8001)).isEqualTo(-0x1p-24f);
        assertThat(f16BitsToFloat((short) 0x03ff)).isEqualTo(1023 * 0x1p-24f);
        assertThat(Float.floatToRawIntBits(f16BitsToFloat((short) 0x8000))).isEqualTo(0x80000000);
        assertThat(f16BitsToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f16BitsToFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(f16BitsToFloat((short) 0x7e00)).isNaN();
        assertThat(f16BitsToFloat((short) 0x7c01)).isNaN();
    }

    @Test
    void f16RoundsToNearestEven() {
        // 1 + 2^-11 lies halfway between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01): down to the even one
        assertThat(f16(1 + 0x1p-11f)).isEqualTo(0x3c00);
        // 1 + 3 * 2^-11 lies halfway between 0x3c01 (odd) and 0x3c02 (even): up
        assertThat(f16(1 + 3 * 0x1p-11f)).isEqualTo(0x3c02);
        assertThat(f16(Math.nextUp(1 + 0x1p-11f))).isEqualTo(0x3c01);
        // 65520 is halfway between 65504 (odd mantissa) and 65536 (infinity): infinity; just below stays finite
        assertThat(f16(65520f)).isEqualTo(0x7c00);
        assertThat(f16(Math.nextDown(65520f))).isEqualTo(0x7bff);
        assertThat(f16(-70000f)).isEqualTo(0xfc00);
        // subnormals: 2^-25 is halfway between 0 and 2^-24, 3 * 2^-25 halfway between 1 and 2 units
        assertThat(f16(0x1p-25f)).isEqualTo(0x0000);
        assertThat(f16(-0x1p-25f)).isEqualTo(0x8000);
        assertThat(f16(Math.nextUp(0x1p-25f))).isEqualTo(0x0001);
        assertThat(f16(3 * 0x1p-25f)).isEqualTo(0x0002);
        assertThat(f16(5 * 0x1p-25f)).isEqualTo(0x0002);
        assertThat(f16(Float.MIN_VALUE)).isEqualTo(0x0000);
        // the largest subnormal plus half a unit rounds up into the smallest normal
        assertThat(f16(1023.5f * 0x1p-24f)).isEqualTo(0x0400);
    }

    @Test
    void everyF16ValueRoundTripsAndEveryMidpointRoundsToEven() {
        for (int h = 0; h < 0x10000; h++) {
            float value = f16BitsToFloat((short) h);
            if (Float.isNaN(value)) {
                assertThat(Float.isNaN(f16BitsToFloat(floatToF16Bits(value)))).as("NaN %04x", h).isTrue();
                continue;
            }
            assertThat(f16(value)).as("%04x", h).isEqualTo(h);
        }
        for (int h = 0; h < 0x7bff; h++) {
            float low = f16BitsToFloat((short) h);
            float high = f16BitsToFloat((short) (h + 1));
            float midpoint = (low + high) / 2; // exact: a float has room for one more bit than a half
            int even = (h & 1) == 0 ? h : h + 1;
            assertThat(f16(midpoint)).as("midpoint above %04x", h).isEqualTo(even);
            assertThat(f16(-midpoint)).as("negative midpoint above %04x", h).isEqualTo(even | 0x8000);
            assertThat(f16(Math.nextDown(midpoint))).isEqualTo(h);
            assertThat(f16(Math.nextUp(midpoint))).isEqualTo(h + 1);
        }
    }

    @Test
    void f16IsTheNearestHalfForRandomFloats() {
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            // exponents across the half range and a little beyond, so subnormals and zero get their share
            float value = Math.scalb(1 + random.nextFloat(), random.nextInt(45) - 30) * (random.nextBoolean() ? 1 : -1);
            if (Math.abs(value) >= 65520f) {
                continue;
            }
            int h = f16(value);
            BigDecimal exact = new BigDecimal(Math.abs(value));
            BigDecimal chosen = new BigDecimal(Math.abs(f16BitsToFloat((short) h)));
            BigDecimal error = exact.subtract(chosen).abs();
            int magnitude = h & 0x7fff;
            if (magnitude > 0) {
                BigDecimal below = new BigDecimal(f16BitsToFloat((short) (magnitude - 1)));
                assertThat(error).as("%s -> %04x", value, h).isLessThanOrEqualTo(exact.subtract(below).abs());
            }
            if (magnitude < 0x7bff) {
                BigDecimal above = new BigDecimal(f16BitsToFloat((short) (magnitude + 1)));
                assertThat(error).as("%s -> %04x", value, h).isLessThanOrEqualTo(above.subtract(exact).abs());
            }
            assertThat(h & 0x8000).isEqualTo(value < 0 ? 0x8000 : 0);
        }
    }

    @Test
    void bf16KnownBitPatterns() {
        assertThat(bf16(1.0f)).isEqualTo(0x3f80);
        assertThat(bf16(-2.5f)).isEqualTo(0xc020);
        assertThat(bf16(65504f)).isEqualTo(0x4780); // 0x477fe000 rounds up to 65536
        assertThat(bf16(Float.POSITIVE_INFINITY)).isEqualTo(0x7f80);
        assertThat(bf16(Float.NEGATIVE_INFINITY)).isEqualTo(0xff80);
        assertThat(bf16(Float.MAX_VALUE)).isEqualTo(0x7f80); // overflows to infinity
        assertThat(bf16(-0.0f)).isEqualTo(0x8000);
        assertThat(bf16(0x1p-133f)).isEqualTo(0x0001); // smallest bf16 subnormal
        int nan = bf16(Float.NaN);
        assertThat(nan & 0x7f80).isEqualTo(0x7f80);
        assertThat(nan & 0x007f).isNotZero();
        // a signalling NaN whose payload lies only in the dropped bits must not become infinity
        assertThat(bf16BitsToFloat(floatToBf16Bits(Float.intBitsToFloat(0x7f800001)))).isNaN();

        assertThat(bf16BitsToFloat((short) 0x3f80)).isEqualTo(1.0f);
        assertThat(bf16BitsToFloat((short) 0xc020)).isEqualTo(-2.5f);
        assertThat(bf16BitsToFloat((short) 0x0001)).isEqualTo(0x1p-133f);
        assertThat(bf16BitsToFloat((short) 0x7f80)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(bf16BitsToFloat((short) 0x7fc0)).isNaN();
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertThat(bf16(Float.intBitsToFloat(0x3f808000))).isEqualTo(0x3f80); // halfway, down to even
        assertThat(bf16(Float.intBitsToFloat(0x3f818000))).isEqualTo(0x3f82); // halfway, up to even
        assertThat(bf16(Float.intBitsToFloat(0x3f808001))).isEqualTo(0x3f81);
        assertThat(bf16(Float.intBitsToFloat(0x3f807fff))).isEqualTo(0x3f80);
        for (int h = 0; h < 0x7f7f; h++) {
            int midpoint = (h << 16) | 0x8000;
            int even = (h & 1) == 0 ? h : h + 1;
            assertThat(bf16(Float.intBitsToFloat(midpoint))).isEqualTo(even);
            assertThat(bf16(Float.intBitsToFloat(midpoint - 1))).isEqualTo(h);
            assertThat(bf16(Float.intBitsToFloat(midpoint + 1))).isEqualTo(h + 1);
            assertThat(bf16(bf16BitsToFloat((short) h))).isEqualTo(h);
        }
    }
}
