package dev.graft.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.image.testing.TestImages;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** EXIF orientation: read from hand-built APP1 segments, malformed ones ignored, all eight applied. */
class ExifOrientationTest {
    private static PixelBuffer decode(byte[] bytes) {
        PixelBuffer p = new PixelBuffer();
        ImageDecoder.decode(bytes, ImageDecoder.DEFAULT_MAX_PIXELS, p);
        return p;
    }

    private static int orientation(byte[] bytes) {
        return JpegMarkers.isJpeg(bytes) ? JpegMarkers.read(bytes).orientation : 1;
    }

    /** Left half red, right half blue, 40 x 20. */
    private static byte[] halves() {
        BufferedImage img = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, x < 20 ? 0xFF0000 : 0x0000FF);
            }
        }
        return TestImages.encode(img, "jpeg");
    }

    /** An APP1 Exif segment whose IFD0 holds an orientation tag, preceded by another tag. */
    private static byte[] exifSegment(int orientation, boolean littleEndian) {
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
    private static byte[] splice(byte[] jpeg, byte[] segment) {
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
    void exifOrientationSixRotatesClockwise() {
        for (boolean little : new boolean[] {true, false}) {
            byte[] jpeg = splice(halves(), exifSegment(6, little));
            assertThat(orientation(jpeg)).isEqualTo(6);
            PixelBuffer img = decode(jpeg);
            assertThat(img.width()).isEqualTo(20);
            assertThat(img.height()).isEqualTo(40);
            assertThat(reddish(img.argb(10, 5))).isTrue(); // the left (red) half is now on top
            assertThat(bluish(img.argb(10, 35))).isTrue();
        }
    }

    @Test
    void exifOrientationThreeRotates180() {
        byte[] jpeg = splice(halves(), exifSegment(3, false));
        PixelBuffer img = decode(jpeg);
        assertThat(img.width()).isEqualTo(40);
        assertThat(bluish(img.argb(5, 10))).isTrue();
        assertThat(reddish(img.argb(35, 10))).isTrue();
    }

    @Test
    void noOrMalformedExifMeansUpright() {
        assertThat(orientation(halves())).isEqualTo(1);
        assertThat(orientation(new byte[] {1, 2, 3})).isEqualTo(1);
        byte[] broken = splice(halves(), exifSegment(6, true));
        broken[2 + 18 + 10 + 4] = 99; // corrupt the IFD offset of the spliced segment
        assertThat(orientation(broken)).isIn(1, 6);
        byte[] truncated = Arrays.copyOf(splice(halves(), exifSegment(6, true)), 40);
        assertThat(orientation(truncated)).isEqualTo(1);
        assertThat(orientation(splice(halves(), exifSegment(9, true)))).isEqualTo(1);
    }

    @Test
    void allEightOrientations() {
        // a b c / d e f
        BufferedImage src = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        src.setRGB(0, 0, 3, 2, new int[] {'a', 'b', 'c', 'd', 'e', 'f'}, 0, 3);
        String[] expected = {"abc/def", "abc/def", "cba/fed", "fed/cba", "def/abc", "ad/be/cf", "da/eb/fc",
            "fc/eb/da", "cf/be/ad"};
        for (int o = 1; o <= 8; o++) {
            PixelBuffer out = new PixelBuffer();
            ImageDecoder.toPixels(src, o, out);
            StringBuilder sb = new StringBuilder();
            for (int y = 0; y < out.height(); y++) {
                sb.append(y == 0 ? "" : "/");
                for (int x = 0; x < out.width(); x++) {
                    sb.append((char) (out.argb(x, y) & 0xFFFFFF));
                }
            }
            assertThat(sb.toString()).as("orientation " + o).isEqualTo(expected[o]);
        }
    }
}
