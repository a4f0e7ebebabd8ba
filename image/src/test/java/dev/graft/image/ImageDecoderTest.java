package dev.graft.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.image.testing.TestImages;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every image kind decodes to the pixels PIL (fastai's decoder) and Graft's trainer would see; bad files fail with one
 * line, and a huge header is refused before any decoding.
 */
class ImageDecoderTest {
    private static final BufferedImage PICTURE = TestImages.picture(61, 47, 3);

    private static PixelBuffer decode(byte[] bytes) {
        PixelBuffer p = new PixelBuffer();
        ImageDecoder.decode(bytes, ImageDecoder.DEFAULT_MAX_PIXELS, p);
        return p;
    }

    private static void assertSameRgb(PixelBuffer p, BufferedImage expected) {
        assertThat(p.width()).isEqualTo(expected.getWidth());
        assertThat(p.height()).isEqualTo(expected.getHeight());
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                assertThat(Integer.toHexString(p.argb(x, y) & 0xFFFFFF)).as("(%d, %d)", x, y)
                        .isEqualTo(Integer.toHexString(expected.getRGB(x, y) & 0xFFFFFF));
            }
        }
    }

    /** Mean and largest per-channel difference between two same-size images. */
    private static double[] difference(PixelBuffer p, BufferedImage expected) {
        assertThat(p.width()).isEqualTo(expected.getWidth());
        assertThat(p.height()).isEqualTo(expected.getHeight());
        double sum = 0;
        int max = 0;
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                int a = p.argb(x, y);
                int b = expected.getRGB(x, y);
                for (int s = 0; s <= 16; s += 8) {
                    int d = Math.abs(((a >> s) & 0xFF) - ((b >> s) & 0xFF));
                    sum += d;
                    max = Math.max(max, d);
                }
            }
        }
        return new double[] {sum / (3.0 * expected.getWidth() * expected.getHeight()), max};
    }

    @ParameterizedTest
    @ValueSource(strings = {"png", "bmp", "gif", "jpeg"})
    void commonFormatsGiveImageIosPixels(String format) {
        byte[] bytes = TestImages.encode(format.equals("gif")
                ? TestImages.convert(PICTURE, BufferedImage.TYPE_BYTE_INDEXED) : PICTURE, format);
        PixelBuffer p = decode(bytes);
        assertThat(p.data()[0] >>> 24).isEqualTo(0xFF);
        assertSameRgb(p, TestImages.read(bytes));
        if (format.equals("png")) {
            assertSameRgb(p, PICTURE);
        }
    }

    @Test
    void greyIsReplicatedAsStoredNotBrightened() {
        BufferedImage grey = TestImages.grey(PICTURE);
        byte[] bytes = TestImages.encode(grey, "png");
        PixelBuffer p = decode(bytes);
        for (int y = 0; y < grey.getHeight(); y++) {
            for (int x = 0; x < grey.getWidth(); x++) {
                int v = grey.getRaster().getSample(x, y, 0);
                assertThat(p.argb(x, y)).isEqualTo(0xFF000000 | v << 16 | v << 8 | v);
            }
        }
        // Java2D would have brightened it: the reason the decoder reads samples, not getRGB
        int v = grey.getRaster().getSample(1, 30, 0);
        assertThat(grey.getRGB(1, 30) & 0xFF).isNotEqualTo(v);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void sixteenBitSamplesAreScaledTo8Bits(boolean grey) {
        byte[] bytes = TestImages.encode(TestImages.sixteenBit(PICTURE, grey), "png");
        assertThat(TestImages.read(bytes).getColorModel().getComponentSize(0)).isEqualTo(16);
        PixelBuffer p = decode(bytes);
        assertSameRgb(p, grey ? TestImages.greyAsRgb(PICTURE) : PICTURE);
    }

    @Test
    void alphaIsKeptAsAlphaAndNeverMixedIntoTheColours() {
        BufferedImage rgba = TestImages.withAlpha(PICTURE);
        byte[] bytes = TestImages.encode(rgba, "png");
        PixelBuffer p = decode(bytes);
        assertSameRgb(p, PICTURE);
        assertThat(p.argb(3, 2) >>> 24).isEqualTo((3 * 7 + 2 * 13) & 0xFF);
        // a BufferedImage handed over directly follows the same rule
        PixelBuffer q = new PixelBuffer();
        ImageDecoder.fromImage(rgba, ImageDecoder.DEFAULT_MAX_PIXELS, q);
        assertThat(java.util.Arrays.copyOf(q.data(), 61 * 47)).isEqualTo(java.util.Arrays.copyOf(p.data(), 61 * 47));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void exifOrientationIsApplied(int orientation) {
        byte[] plain = TestImages.encode(PICTURE, "jpeg");
        BufferedImage stored = TestImages.read(plain);
        for (boolean little : new boolean[] {false, true}) {
            byte[] tagged = TestImages.withExifOrientation(plain, orientation, little);
            PixelBuffer p = decode(tagged);
            assertSameRgb(p, TestImages.orient(stored, orientation));
        }
    }

    @Test
    void aPhoneStyleExifJpegFromPilComesOutUpright() {
        PixelBuffer p = decode(TestImages.resource("pil-exif6.jpg"));
        BufferedImage upright = TestImages.read(TestImages.resource("pil-exif6.upright.png"));
        double[] d = difference(p, upright);
        System.out.printf("PIL EXIF-6 JPEG vs PIL upright: mean |diff| %.2f, max %d%n", d[0], (int) d[1]);
        assertThat(p.width()).isEqualTo(48);
        assertThat(p.height()).isEqualTo(32);
        assertThat(d[0]).isLessThan(1.5);
        assertThat(d[1]).isLessThanOrEqualTo(12);
    }

    @Test
    void pilsCmykJpegDecodesToPilsColours() {
        byte[] bytes = TestImages.resource("pil-cmyk.jpg");
        PixelBuffer p = decode(bytes);
        double[] d = difference(p, TestImages.read(TestImages.resource("pil-cmyk.rgb.png")));
        double[] vsOriginal = difference(p, TestImages.read(TestImages.resource("pil-rgb.png")));
        System.out.printf("PIL CMYK JPEG vs PIL's RGB decode: mean |diff| %.2f, max %d; vs the original %.2f, %d%n",
                d[0], (int) d[1], vsOriginal[0], (int) vsOriginal[1]);
        assertThat(d[0]).isLessThan(1.0);
        assertThat(d[1]).isLessThanOrEqualTo(4);
        assertThat(vsOriginal[0]).isLessThan(3.0);
        // What the JDK's own CMYK support makes of it: the inverted Adobe storage read as plain CMYK
        BufferedImage jdk = TestImages.read(bytes);
        PixelBuffer q = new PixelBuffer();
        ImageDecoder.fromImage(jdk, ImageDecoder.DEFAULT_MAX_PIXELS, q);
        assertThat(difference(q, TestImages.read(TestImages.resource("pil-rgb.png")))[0]).isGreaterThan(40);
    }

    @ParameterizedTest
    @ValueSource(strings = {"adobe-cmyk", "ycck", "plain-cmyk"})
    void fourComponentJpegsConvertWithTheirStorageConvention(String kind) {
        BufferedImage small = TestImages.picture(40, 24, 9);
        byte[] bytes = TestImages.cmykJpeg(small, !kind.equals("plain-cmyk"), kind.equals("ycck"));
        PixelBuffer p = decode(bytes);
        BufferedImage expected = new BufferedImage(40, 24, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 40; x++) {
                expected.setRGB(x, y, TestImages.inkToRgb(TestImages.ink(small.getRGB(x, y))));
            }
        }
        double[] d = difference(p, expected);
        System.out.printf("%s JPEG vs expected RGB: mean |diff| %.2f, max %d%n", kind, d[0], (int) d[1]);
        assertThat(d[0]).isLessThan(2.0);
        assertThat(d[1]).isLessThanOrEqualTo(16);
    }

    @Test
    void badFilesFailWithOneLine() {
        byte[] jpeg = TestImages.encode(PICTURE, "jpeg");
        byte[] png = TestImages.encode(PICTURE, "png");
        assertThatThrownBy(() -> decode(new byte[0])).isInstanceOf(BadImageException.class)
                .hasMessage("the image is empty (0 bytes)");
        assertThatThrownBy(() -> decode("hello, not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(BadImageException.class).hasMessageContaining("not an image");
        assertThatThrownBy(() -> decode(TestImages.truncated(jpeg, 0.6))).isInstanceOf(BadImageException.class)
                .hasMessageStartingWith("the image is truncated or corrupt").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> decode(TestImages.truncated(png, 0.6))).isInstanceOf(BadImageException.class)
                .hasMessageStartingWith("the image is truncated or corrupt").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> decode(TestImages.truncated(png, 0.02))).isInstanceOf(BadImageException.class);
    }

    @Test
    void aHugeHeaderIsRefusedBeforeDecoding() {
        byte[] bomb = TestImages.pngClaiming(100_000, 100_000);
        assertThat(bomb.length).isLessThan(100);
        long start = System.nanoTime();
        assertThatThrownBy(() -> decode(bomb)).isInstanceOf(BadImageException.class)
                .hasMessage("the image is 100000 x 100000 pixels (10000 megapixels), over the limit of 50000000 pixels;"
                        + " refused before decoding");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).as("refused from the header, not after allocating").isLessThan(2000);
        // the same check for images already in memory, and a custom limit
        PixelBuffer p = new PixelBuffer();
        assertThatThrownBy(() -> ImageDecoder.fromImage(PICTURE, 1000, p)).isInstanceOf(BadImageException.class)
                .hasMessageContaining("61 x 47");
    }

    @Test
    void theBufferIsReusedAcrossImages() {
        PixelBuffer p = new PixelBuffer();
        ImageDecoder.decode(TestImages.encode(TestImages.picture(80, 60, 1), "png"), 1 << 20, p);
        int[] first = p.data();
        ImageDecoder.decode(TestImages.encode(TestImages.picture(30, 20, 2), "png"), 1 << 20, p);
        assertThat(p.data()).isSameAs(first);
        assertThat(p.width()).isEqualTo(30);
        assertSameRgb(p, TestImages.picture(30, 20, 2));
        // a long-running process lets go of a buffer grown by one huge image
        p.trim(80 * 60);
        assertThat(p.data()).isSameAs(first);
        p.trim(80 * 60 - 1);
        assertThat(p.capacity()).isZero();
    }
}
