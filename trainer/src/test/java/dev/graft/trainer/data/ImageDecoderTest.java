package dev.graft.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {
    @TempDir
    Path dir;

    private RgbImage roundTrip(BufferedImage img, String format) {
        return ImageDecoder.decode(TestImages.write(dir.resolve("img." + format), img, format));
    }

    @Test
    void greyPngIsReplicatedWithoutGammaChange() {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        int[] values = {0, 100, 200};
        for (int x = 0; x < 3; x++) {
            img.getRaster().setSample(x, 0, 0, values[x]);
        }
        RgbImage rgb = roundTrip(img, "png");
        assertThat(rgb.pixels()).containsExactly(0x000000, 0x646464, 0xC8C8C8);
    }

    @Test
    void greyAlphaPngDropsAlpha() {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster r = cm.createCompatibleWritableRaster(2, 1);
        r.setSample(0, 0, 0, 50);
        r.setSample(0, 0, 1, 0);
        r.setSample(1, 0, 0, 220);
        r.setSample(1, 0, 1, 128);
        RgbImage rgb = roundTrip(new BufferedImage(cm, r, false, null), "png");
        assertThat(rgb.pixels()).containsExactly(0x323232, 0xDCDCDC);
    }

    @Test
    void rgbaPngKeepsColourUnderTransparency() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00102030);
        img.setRGB(1, 0, 0x80FF8000);
        assertThat(roundTrip(img, "png").pixels()).containsExactly(0x102030, 0xFF8000);
    }

    @Test
    void sixteenBitGreyAndRgbScaleToEightBits() {
        BufferedImage grey = new BufferedImage(4, 1, BufferedImage.TYPE_USHORT_GRAY);
        int[] g = {0, 257 * 100, 0x8080, 65535};
        for (int x = 0; x < 4; x++) {
            grey.getRaster().setSample(x, 0, 0, g[x]);
        }
        assertThat(roundTrip(grey, "png").pixels()).containsExactly(0x000000, 0x646464, 0x808080, 0xFFFFFF);

        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(2, 1);
        r.setPixel(0, 0, new int[] {65535, 257 * 50, 0, 0});
        r.setPixel(1, 0, new int[] {257 * 7, 65534, 300, 65535});
        RgbImage rgb = roundTrip(new BufferedImage(cm, r, false, null), "png");
        assertThat(rgb.pixels()).containsExactly(0xFF3200, 0x07FF01);
    }

    @Test
    void palettePngMapsThroughPalette() {
        byte[] red = {0, (byte) 255, 0, 10};
        byte[] green = {0, 0, (byte) 255, 20};
        byte[] blue = {0, 0, 0, 30};
        byte[] alpha = {(byte) 255, (byte) 255, (byte) 255, 0};
        IndexColorModel icm = new IndexColorModel(2, 4, red, green, blue, alpha);
        BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_BINARY, icm);
        for (int x = 0; x < 4; x++) {
            img.getRaster().setSample(x, 0, 0, x);
        }
        assertThat(roundTrip(img, "png").pixels()).containsExactly(0x000000, 0xFF0000, 0x00FF00, 0x0A141E);
    }

    @Test
    void jpegBmpAndGifDecode() {
        BufferedImage img = TestImages.solid(8, 8, 0x2060A0);
        for (String format : new String[] {"jpg", "bmp", "gif"}) {
            RgbImage rgb = roundTrip(img, format);
            assertThat(rgb.width()).isEqualTo(8);
            int p = rgb.rgb(4, 4);
            assertThat(((p >> 16) & 0xFF)).as(format).isCloseTo(0x20, org.assertj.core.data.Offset.offset(6));
            assertThat(((p >> 8) & 0xFF)).as(format).isCloseTo(0x60, org.assertj.core.data.Offset.offset(6));
            assertThat((p & 0xFF)).as(format).isCloseTo(0xA0, org.assertj.core.data.Offset.offset(6));
        }
        BufferedImage grey = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                grey.getRaster().setSample(x, y, 0, 90);
            }
        }
        int p = roundTrip(grey, "jpg").rgb(3, 3);
        assertThat(p >> 16).isEqualTo((p >> 8) & 0xFF).isEqualTo(p & 0xFF).isBetween(87, 93);
    }

    /** Left half red, right half blue, 40 x 20. */
    private static byte[] halves() {
        BufferedImage img = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, x < 20 ? 0xFF0000 : 0x0000FF);
            }
        }
        return TestImages.encode(img, "jpg");
    }

    /** An APP1 Exif segment whose IFD0 holds an orientation tag, preceded by another tag. */
    static byte[] exifSegment(int orientation, boolean littleEndian) {
        byte[] tiff = new byte[8 + 2 + 2 * 12 + 4];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(tiff)
                .order(littleEndian ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN);
        b.put((byte) (littleEndian ? 'I' : 'M')).put((byte) (littleEndian ? 'I' : 'M')).putShort((short) 42)
                .putInt(8);
        b.putShort((short) 2);
        b.putShort((short) 0x010F).putShort((short) 2).putInt(4).putInt(0); // Make, ASCII (value ignored)
        b.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        b.putInt(0);
        int length = 2 + 6 + tiff.length;
        byte[] seg = new byte[2 + length];
        seg[0] = (byte) 0xFF;
        seg[1] = (byte) 0xE1;
        seg[2] = (byte) (length >> 8);
        seg[3] = (byte) length;
        System.arraycopy("Exif\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, seg, 4, 6);
        System.arraycopy(tiff, 0, seg, 10, tiff.length);
        return seg;
    }

    /** Inserts {@code segment} after SOI and the JFIF APP0 segment. */
    static byte[] splice(byte[] jpeg, byte[] segment) {
        int at = 2;
        if ((jpeg[2] & 0xFF) == 0xFF && (jpeg[3] & 0xFF) == 0xE0) {
            at = 4 + (((jpeg[4] & 0xFF) << 8) | (jpeg[5] & 0xFF));
        }
        byte[] out = new byte[jpeg.length + segment.length];
        System.arraycopy(jpeg, 0, out, 0, at);
        System.arraycopy(segment, 0, out, at, segment.length);
        System.arraycopy(jpeg, at, out, at + segment.length, jpeg.length - at);
        return out;
    }

    private static boolean reddish(int p) {
        return ((p >> 16) & 0xFF) > 200 && (p & 0xFF) < 60;
    }

    private static boolean bluish(int p) {
        return (p & 0xFF) > 200 && ((p >> 16) & 0xFF) < 60;
    }

    @Test
    void exifOrientationSixRotatesClockwise() throws IOException {
        for (boolean little : new boolean[] {true, false}) {
            byte[] jpeg = splice(halves(), exifSegment(6, little));
            assertThat(ExifOrientation.read(jpeg)).isEqualTo(6);
            Path file = Files.write(dir.resolve("six-" + little + ".jpg"), jpeg);
            RgbImage img = ImageDecoder.decode(file);
            assertThat(img.width()).isEqualTo(20);
            assertThat(img.height()).isEqualTo(40);
            assertThat(reddish(img.rgb(10, 5))).isTrue(); // the left (red) half is now on top
            assertThat(bluish(img.rgb(10, 35))).isTrue();
        }
    }

    @Test
    void exifOrientationThreeRotates180() throws IOException {
        byte[] jpeg = splice(halves(), exifSegment(3, false));
        RgbImage img = ImageDecoder.decode(Files.write(dir.resolve("three.jpg"), jpeg));
        assertThat(img.width()).isEqualTo(40);
        assertThat(bluish(img.rgb(5, 10))).isTrue();
        assertThat(reddish(img.rgb(35, 10))).isTrue();
    }

    @Test
    void noOrMalformedExifMeansUpright() {
        assertThat(ExifOrientation.read(halves())).isEqualTo(1);
        assertThat(ExifOrientation.read(new byte[] {1, 2, 3})).isEqualTo(1);
        byte[] broken = splice(halves(), exifSegment(6, true));
        broken[2 + 18 + 10 + 4] = 99; // corrupt the IFD offset of the spliced segment
        assertThat(ExifOrientation.read(broken)).isIn(1, 6);
        byte[] truncated = Arrays.copyOf(splice(halves(), exifSegment(6, true)), 40);
        assertThat(ExifOrientation.read(truncated)).isEqualTo(1);
        assertThat(ExifOrientation.read(splice(halves(), exifSegment(9, true)))).isEqualTo(1);
    }

    @Test
    void allEightOrientations() {
        // a b c / d e f
        RgbImage src = new RgbImage(3, 2, new int[] {'a', 'b', 'c', 'd', 'e', 'f'});
        String[] expected = {"abc/def", "abc/def", "cba/fed", "fed/cba", "def/abc", "ad/be/cf", "da/eb/fc",
            "fc/eb/da", "cf/be/ad"};
        for (int o = 1; o <= 8; o++) {
            RgbImage out = ExifOrientation.apply(src, o);
            StringBuilder sb = new StringBuilder();
            for (int y = 0; y < out.height(); y++) {
                sb.append(y == 0 ? "" : "/");
                for (int x = 0; x < out.width(); x++) {
                    sb.append((char) out.rgb(x, y));
                }
            }
            assertThat(sb.toString()).as("orientation " + o).isEqualTo(expected[o]);
        }
    }

    @Test
    void unreadableFilesThrowUnreadableImageException() {
        Path garbage = TestImages.text(dir.resolve("garbage.png"), "this is not a png");
        assertThatThrownBy(() -> ImageDecoder.decode(garbage)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("garbage.png");
        Path empty = TestImages.bytes(dir.resolve("empty.jpg"), new byte[0]);
        assertThatThrownBy(() -> ImageDecoder.decode(empty)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> ImageDecoder.decode(dir.resolve("absent.png")))
                .isInstanceOf(UnreadableImageException.class).hasMessageContaining("not found");
        byte[] png = TestImages.encode(TestImages.solid(30, 30, 0x123456), "png");
        Path truncated = TestImages.bytes(dir.resolve("cut.png"), Arrays.copyOf(png, png.length / 2));
        assertThatThrownBy(() -> ImageDecoder.decode(truncated)).isInstanceOf(UnreadableImageException.class);
    }

    @Test
    void cmykJpegIsReportedAsUnsupported() {
        byte[] jpeg = halves();
        assertThat(ImageDecoder.jpegComponents(jpeg)).isEqualTo(3);
        for (int i = 2; i < jpeg.length - 9; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xC0) {
                jpeg[i + 9] = 4;
                break;
            }
        }
        Path file = TestImages.bytes(dir.resolve("cmyk.jpg"), jpeg);
        assertThatThrownBy(() -> ImageDecoder.decode(file)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("CMYK");
    }

    @Test
    @org.junit.jupiter.api.Timeout(20)
    void endlessAndOversizedFilesAreUnreadableBeforeTheyAreRead() throws Exception {
        for (String device : new String[] {"/dev/zero", "/dev/urandom"}) {
            assertThatThrownBy(() -> ImageDecoder.decode(Path.of(device))).isInstanceOf(UnreadableImageException.class)
                    .hasMessage("Cannot read image " + device + ": it is a character device, not a regular file;"
                            + " only regular files are read");
        }
        Path big = dir.resolve("big.png");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(dev.graft.files.InputFiles.DEFAULT_MAX_IMAGE_BYTES + 1);
        }
        assertThatThrownBy(() -> ImageDecoder.decode(big)).isInstanceOf(UnreadableImageException.class)
                .hasCauseInstanceOf(dev.graft.files.ByteCapExceededException.class)
                .hasMessage("Cannot read image " + big + ": it is 64.0 MiB (67108865 bytes), over the limit of 64 MiB");
        Path png = TestImages.bytes(dir.resolve("small.png"), TestImages.encode(TestImages.solid(5, 5, 0x123456), "png"));
        long size = Files.size(png);
        assertThat(ImageDecoder.decode(png, size).width()).isEqualTo(5);
        assertThatThrownBy(() -> ImageDecoder.decode(png, size - 1)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("over the limit of " + (size - 1) + " bytes");
    }
}
