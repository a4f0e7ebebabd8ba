package dev.graft.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.image.testing.TestImages;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/**
 * The resize methods and channel orders do what their names say. (That crop is the trainer's validation transform
 * number for number is held by the trainer's ImageTransformsTest and the cross-path parity suite.)
 */
class PreprocessorTest {
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private static PixelBuffer pixels(BufferedImage img) {
        PixelBuffer p = new PixelBuffer();
        ImageDecoder.fromImage(img, Long.MAX_VALUE, p);
        return p;
    }

    private static float[] run(Preprocessor pre, BufferedImage img) {
        float[] out = new float[pre.floatsPerImage() + 5];
        pre.apply(pixels(img), pre.newScratch(), out, 5);
        return java.util.Arrays.copyOfRange(out, 5, out.length);
    }

    @Test
    void squishUsesTheWholeImageAndPadReflectsOutsideIt() {
        // 128 x 64: red on the left half, blue on the right; a thin green line across the top row
        BufferedImage img = new BufferedImage(128, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 128; x++) {
                img.setRGB(x, y, y < 2 ? 0x00FF00 : x < 64 ? 0xFF0000 : 0x0000FF);
            }
        }
        float red = (1 - MEAN[0]) / STD[0];
        float noRed = (0 - MEAN[0]) / STD[0];
        float[] crop = run(new Preprocessor(32, 32, ResizeMethod.CROP, "RGB", MEAN, STD), img);
        float[] squish = run(new Preprocessor(32, 32, ResizeMethod.SQUISH, "RGB", MEAN, STD), img);
        float[] pad = run(new Preprocessor(32, 32, ResizeMethod.PAD, "RGB", MEAN, STD), img);
        // crop keeps the centre 64 x 64: left half red, right half blue
        assertThat(crop[20 * 32 + 2]).isCloseTo(red, within(1e-5f));
        assertThat(crop[20 * 32 + 30]).isCloseTo(noRed, within(1e-5f));
        // squish keeps everything, so the left half of the output is red
        assertThat(squish[20 * 32 + 14]).isCloseTo(red, within(1e-5f));
        assertThat(squish[20 * 32 + 17]).isCloseTo(noRed, within(1e-5f));
        // pad: the 128 x 64 image sits in the middle rows 8..23 of a 32-row output; rows above mirror its top
        // (the green line, then red/blue again), rows below mirror its bottom (red/blue), never black
        assertThat(pad[16 * 32 + 2]).isCloseTo(red, within(1e-5f));
        assertThat(pad[30 * 32 + 2]).isCloseTo(red, within(1e-5f));
        assertThat(pad[30 * 32 + 30]).isCloseTo(noRed, within(1e-5f));
        assertThat(pad[1 * 32 + 2]).isCloseTo(red, within(1e-5f));
        assertThat(Preprocessor.reflect(-1.0, 10)).isEqualTo(1.0);
        assertThat(Preprocessor.reflect(10.0, 10)).isEqualTo(8.0);
        assertThat(Preprocessor.reflect(4.5, 10)).isEqualTo(4.5);
        assertThat(Preprocessor.reflect(-19.0, 10)).isEqualTo(1.0);
    }

    @Test
    void channelOrderAndGreyAndAlphaFollowTheLetters() {
        BufferedImage img = TestImages.withAlpha(TestImages.picture(50, 40, 5));
        float[] rgb = run(new Preprocessor(32, 32, ResizeMethod.CROP, "RGB", MEAN, STD), img);
        float[] bgr = run(new Preprocessor(32, 32, ResizeMethod.CROP, "BGR",
                new float[] {MEAN[2], MEAN[1], MEAN[0]}, new float[] {STD[2], STD[1], STD[0]}), img);
        int plane = 32 * 32;
        for (int i = 0; i < plane; i++) {
            assertThat(bgr[i]).isEqualTo(rgb[2 * plane + i]);
            assertThat(bgr[plane + i]).isEqualTo(rgb[plane + i]);
            assertThat(bgr[2 * plane + i]).isEqualTo(rgb[i]);
        }
        // L is PIL's luma; on a flat colour it is exact
        BufferedImage flat = new BufferedImage(20, 20, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 20; x++) {
                flat.setRGB(x, y, 0x80_C8_64_1E); // alpha 128, RGB (200, 100, 30)
            }
        }
        float[] la = run(new Preprocessor(8, 8, ResizeMethod.SQUISH, "LA", new float[] {0, 0}, new float[] {1, 1}),
                flat);
        int luma = (200 * 19595 + 100 * 38470 + 30 * 7471 + 0x8000) >> 16;
        assertThat(la[0]).isCloseTo((float) (luma / 255.0), within(1e-6f));
        assertThat(la[64]).isCloseTo((float) (128 / 255.0), within(1e-6f));
        assertThatThrownBy(() -> new Preprocessor(8, 8, ResizeMethod.CROP, "RGBX", new float[4], new float[] {1, 1, 1, 1}))
                .isInstanceOf(ImageException.class).hasMessageContaining("input channel 'X'");
    }

    @Test
    void normalisationIsPerChannel() {
        BufferedImage flat = new BufferedImage(9, 9, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 9; x++) {
                flat.setRGB(x, y, 0x336699);
            }
        }
        float[] out = run(new Preprocessor(4, 4, ResizeMethod.CROP, "RGB", MEAN, STD), flat);
        assertThat(out[0]).isCloseTo((float) ((0x33 / 255.0 - MEAN[0]) / STD[0]), within(1e-6f));
        assertThat(out[16]).isCloseTo((float) ((0x66 / 255.0 - MEAN[1]) / STD[1]), within(1e-6f));
        assertThat(out[32]).isCloseTo((float) ((0x99 / 255.0 - MEAN[2]) / STD[2]), within(1e-6f));
    }
}
