package dev.graft.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.image.PixelBuffer;
import dev.graft.image.Preprocessor;
import dev.graft.image.ResizeMethod;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageTransformsTest {
    private static PixelBuffer image(int w, int h, int[] px) {
        PixelBuffer p = new PixelBuffer();
        System.arraycopy(px, 0, p.reset(w, h), 0, px.length);
        return p;
    }

    private static PixelBuffer solid(int w, int h, int rgb) {
        int[] px = new int[w * h];
        java.util.Arrays.fill(px, rgb);
        return image(w, h, px);
    }

    private static PixelBuffer noise(int w, int h, long seed) {
        Random r = new Random(seed);
        int[] px = new int[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = r.nextInt(1 << 24);
        }
        return image(w, h, px);
    }

    @Test
    void imagenetNormalisation() {
        ImageTransforms t = ImageTransforms.imagenet(4);
        float[] out = t.valid(solid(10, 10, 0xFF8000));
        assertThat(out).hasSize(3 * 4 * 4);
        for (int i = 0; i < 16; i++) {
            assertThat(out[i]).isCloseTo((1f - 0.485f) / 0.229f, within(1e-5f));
            assertThat(out[16 + i]).isCloseTo((128f / 255f - 0.456f) / 0.224f, within(1e-5f));
            assertThat(out[32 + i]).isCloseTo((0f - 0.406f) / 0.225f, within(1e-5f));
        }
        assertThat(Normalization.IMAGENET.apply(0, 255)).isCloseTo(2.2489f, within(1e-4f));
    }

    @Test
    void validationResizesShortSideThenCropsCentre() {
        // 300 x 200: red | green (x 50..249) | blue; the centre 200 x 200 is all green
        int[] px = new int[300 * 200];
        for (int y = 0; y < 200; y++) {
            for (int x = 0; x < 300; x++) {
                px[y * 300 + x] = x < 50 ? 0xFF0000 : x < 250 ? 0x00FF00 : 0x0000FF;
            }
        }
        ImageTransforms t = ImageTransforms.imagenet(20);
        assertThat(t.centreCrop(300, 200)).containsExactly(50, 0, 200, 200);
        assertThat(t.centreCrop(200, 300)).containsExactly(0, 50, 200, 200);
        float[] out = t.valid(image(300, 200, px));
        float green = Normalization.IMAGENET.apply(1, 255);
        float noRed = Normalization.IMAGENET.apply(0, 0);
        for (int i = 0; i < 400; i++) {
            assertThat(out[i]).isCloseTo(noRed, within(1e-5f));
            assertThat(out[400 + i]).isCloseTo(green, within(1e-5f));
        }
        ImageTransforms wide = new ImageTransforms(AugmentConfig.defaults().withSize(10, 20), Normalization.IMAGENET);
        assertThat(wide.centreCrop(300, 300)).containsExactly(0, 75, 300, 150);
        assertThat(wide.centreCrop(400, 100)).containsExactly(100, 0, 200, 100);
        assertThat(wide.valid(solid(30, 30, 0))).hasSize(3 * 10 * 20);
    }

    @Test
    void flipMirrorsTheImage() {
        PixelBuffer img = noise(32, 32, 1);
        AugmentConfig cfg = AugmentConfig.defaults().withSize(16).withoutAugmentation().withFlip(1);
        ImageTransforms t = new ImageTransforms(cfg, Normalization.IMAGENET);
        float[] flipped = t.train(img, 123);
        float[] plain = t.valid(img);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 16; i++) {
                for (int j = 0; j < 16; j++) {
                    assertThat(flipped[c * 256 + i * 16 + j]).isCloseTo(plain[c * 256 + i * 16 + 15 - j],
                            within(1e-5f));
                }
            }
        }
        ImageTransforms none = new ImageTransforms(cfg.withFlip(0), Normalization.IMAGENET);
        assertThat(none.train(img, 123)).containsExactly(plain);
    }

    @Test
    void trainingIsDeterministicPerSeed() {
        PixelBuffer img = noise(48, 40, 2);
        ImageTransforms t = ImageTransforms.imagenet(24);
        assertThat(t.train(img, 5)).containsExactly(t.train(img, 5));
        assertThat(t.train(img, 5)).isNotEqualTo(t.train(img, 6));
        float[] into = new float[t.floatsPerImage() + 10];
        t.train(img, 5, into, 10);
        assertThat(java.util.Arrays.copyOfRange(into, 10, into.length)).containsExactly(t.train(img, 5));
    }

    @Test
    void randomCropsFollowScaleAndRatio() {
        ImageTransforms t = ImageTransforms.imagenet(32);
        SplittableRandom rnd = new SplittableRandom(3);
        for (int k = 0; k < 500; k++) {
            double[] c = t.randomCrop(200, 120, rnd);
            assertThat(c[0]).isGreaterThanOrEqualTo(0);
            assertThat(c[1]).isGreaterThanOrEqualTo(0);
            assertThat(c[0] + c[2]).isLessThanOrEqualTo(200);
            assertThat(c[1] + c[3]).isLessThanOrEqualTo(120);
            double area = c[2] * c[3] / (200.0 * 120);
            assertThat(area).isBetween(0.33, 1.0);
            assertThat(c[2] / c[3]).isBetween(0.7, 1.4);
        }
    }

    @Test
    void augmentedSolidImageStaysSolidAndInRange() {
        ImageTransforms t = new ImageTransforms(AugmentConfig.defaults().withSize(16).withProbabilities(1, 1),
                Normalization.IMAGENET);
        float plain = Normalization.IMAGENET.apply(0, 128);
        boolean changed = false;
        for (long seed = 0; seed < 20; seed++) {
            float[] out = t.train(solid(40, 30, 0x808080), seed);
            for (int i = 1; i < 256; i++) {
                assertThat(out[i]).isCloseTo(out[0], within(1e-4f)); // reflection padding: no black corners
            }
            assertThat(out[0]).isBetween(Normalization.IMAGENET.apply(0, 0), Normalization.IMAGENET.apply(0, 255));
            changed |= Math.abs(out[0] - plain) > 0.05;
        }
        assertThat(changed).as("lighting changes brightness").isTrue();
    }

    @Test
    void largeSourcesAreAveragedNotAliased() {
        int[] px = new int[256 * 256];
        for (int y = 0; y < 256; y++) {
            for (int x = 0; x < 256; x++) {
                px[y * 256 + x] = ((x + y) & 1) == 0 ? 0xFFFFFF : 0x000000;
            }
        }
        float[] out = ImageTransforms.imagenet(32).valid(image(256, 256, px));
        float mid = Normalization.IMAGENET.apply(0, 128);
        for (int i = 0; i < 32 * 32; i++) {
            assertThat(out[i]).isCloseTo(mid, within(0.02f));
        }
    }

    @Test
    void boxReduceAveragesBlocks() {
        PixelBuffer img = image(3, 2, new int[] {0x000000, 0x040404, 0x0A0A0A, 0x080808, 0x0C0C0C, 0x141414});
        PixelBuffer r = new PixelBuffer();
        Preprocessor.boxReduce(img, 2, r);
        assertThat(r.width()).isEqualTo(2);
        assertThat(r.height()).isEqualTo(1);
        assertThat(java.util.Arrays.copyOf(r.data(), 2)).containsExactly(0x060606, 0x0F0F0F);
    }

    /**
     * The training renderer with every augmentation off reproduces the image module's crop (the validation transform,
     * also the deployed model's) number for number: the two resamplers are independent code held together here.
     */
    @ParameterizedTest(name = "{0}x{1} to {2}x{3}")
    @CsvSource({"640, 480, 224, 224", "640, 480, 64, 64", "64, 64, 64, 64", "100, 30, 64, 64", "5, 7, 64, 64",
        "300, 500, 96, 128", "1000, 999, 64, 48"})
    void cropIsTheTrainersValidationTransformExactly(int w, int h, int oh, int ow) {
        PixelBuffer img = noise(w, h, w * 31L + h);
        ImageTransforms trainer = new ImageTransforms(AugmentConfig.defaults().withSize(oh, ow), Normalization.IMAGENET);
        float[] expected = new float[trainer.floatsPerImage()];
        trainer.unaugmented(img, expected, 0);
        Preprocessor edge = new Preprocessor(oh, ow, ResizeMethod.CROP, "RGB", new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f});
        float[] actual = new float[edge.floatsPerImage()];
        edge.apply(img, edge.newScratch(), actual, 0);
        assertThat(actual).containsExactly(expected);
        assertThat(trainer.valid(img)).containsExactly(expected);
    }
}
