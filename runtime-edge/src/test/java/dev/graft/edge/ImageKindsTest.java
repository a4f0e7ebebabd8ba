package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.image.testing.TestImages;
import dev.graft.trainer.data.ImageTransforms;
import dev.graft.trainer.data.Normalization;
import dev.graft.trainer.data.AugmentConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every image kind reaches the model as the pixels it stands for: each prediction equals the prediction of the
 * equivalent plain RGB image, whether it arrives as a file, bytes or a decoded image.
 */
class ImageKindsTest {
    private static EdgeModel model;
    private static final BufferedImage PICTURE = TestImages.picture(96, 80, 11);

    @BeforeAll
    static void load() {
        model = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static BufferedImage rgbOf(BufferedImage img) {
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        out.setRGB(0, 0, img.getWidth(), img.getHeight(), img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0,
                img.getWidth()), 0, img.getWidth());
        return out;
    }

    /** Predicts {@code bytes} as bytes and as a file, and checks both against the reference image's prediction. */
    private static void assertPredictsAs(byte[] bytes, BufferedImage reference, Path dir) throws Exception {
        float[] expected = model.predict(reference).scores();
        Prediction fromBytes = model.predict(bytes);
        Path file = dir.resolve("image.bin");
        Files.write(file, bytes);
        Prediction fromFile = model.predict(file);
        assertThat(fromBytes.scores()).containsExactly(expected);
        assertThat(fromFile.scores()).containsExactly(expected);
        assertThat(fromBytes.answer()).hasSize(3);
        assertThat(fromBytes.answer().get(0).label()).isIn("cat", "dog", "fish");
    }

    @ParameterizedTest
    @ValueSource(strings = {"png", "bmp", "png-grey", "png-16bit", "png-16bit-grey", "png-alpha", "gif-palette",
        "jpeg", "jpeg-grey"})
    void eachKindPredictsLikeItsRgbEquivalent(String kind, @TempDir Path dir) throws Exception {
        switch (kind) {
            case "png" -> assertPredictsAs(TestImages.encode(PICTURE, "png"), PICTURE, dir);
            case "bmp" -> assertPredictsAs(TestImages.encode(PICTURE, "bmp"), PICTURE, dir);
            case "png-grey" -> assertPredictsAs(TestImages.encode(TestImages.grey(PICTURE), "png"), TestImages.greyAsRgb(PICTURE),
                    dir);
            case "png-16bit" -> assertPredictsAs(TestImages.encode(TestImages.sixteenBit(PICTURE, false), "png"),
                    PICTURE, dir);
            case "png-16bit-grey" -> assertPredictsAs(TestImages.encode(TestImages.sixteenBit(PICTURE, true), "png"),
                    TestImages.greyAsRgb(PICTURE), dir);
            case "png-alpha" -> assertPredictsAs(TestImages.encode(TestImages.withAlpha(PICTURE), "png"), PICTURE, dir);
            case "gif-palette" -> {
                BufferedImage indexed = TestImages.convert(PICTURE, BufferedImage.TYPE_BYTE_INDEXED);
                assertPredictsAs(TestImages.encode(indexed, "gif"), rgbOf(indexed), dir);
            }
            case "jpeg" -> {
                byte[] jpeg = TestImages.encode(PICTURE, "jpeg");
                assertPredictsAs(jpeg, rgbOf(TestImages.read(jpeg)), dir);
            }
            case "jpeg-grey" -> {
                byte[] jpeg = TestImages.encode(TestImages.grey(PICTURE), "jpeg");
                BufferedImage decoded = TestImages.read(jpeg);
                BufferedImage expected = new BufferedImage(96, 80, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 80; y++) {
                    for (int x = 0; x < 96; x++) {
                        int v = decoded.getRaster().getSample(x, y, 0);
                        expected.setRGB(x, y, v << 16 | v << 8 | v);
                    }
                }
                assertPredictsAs(jpeg, expected, dir);
            }
            default -> throw new IllegalArgumentException(kind);
        }
    }

    @Test
    void cmykJpegPredictsLikePilsRgbDecoding(@TempDir Path dir) throws Exception {
        assertPredictsAs(TestImages.resource("pil-cmyk.jpg"), TestImages.read(TestImages.resource("pil-cmyk.rgb.png")),
                dir);
    }

    @Test
    void exifRotatedJpegPredictsLikeTheUprightImage(@TempDir Path dir) throws Exception {
        assertPredictsAs(TestImages.resource("pil-exif6.jpg"),
                TestImages.read(TestImages.resource("pil-exif6.upright.png")), dir);
        // and differently from the sideways pixels, or the test would prove nothing
        float[] sideways = model.predict(TestImages.read(TestImages.resource("pil-exif6.jpg"))).scores();
        assertThat(model.predict(TestImages.resource("pil-exif6.jpg")).scores()).isNotEqualTo(sideways);
    }

    @Test
    void aPhotoReachesTheModelExactlyAsTheTrainerValidatesIt() {
        byte[] jpeg = TestImages.encode(TestImages.picture(640, 480, 21), "jpeg");
        float[] edge = model.preprocess(jpeg);
        ImageTransforms trainer = new ImageTransforms(AugmentConfig.defaults().withSize(64), Normalization.IMAGENET);
        float[] expected = trainer.valid(dev.graft.trainer.data.ImageDecoder.decode(jpeg, Path.of("photo.jpg")));
        assertThat(edge).containsExactly(expected);
        assertThat(model.predict(jpeg).scores()).containsExactly(model.predict(expected).scores());
    }
}
