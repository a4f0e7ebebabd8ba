package dev.graft.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.image.PixelBuffer;
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

    private PixelBuffer roundTrip(BufferedImage img, String format) {
        return ImageDecoder.decode(TestImages.write(dir.resolve("img." + format), img, format));
    }

    @Test
    void greyPngIsReplicatedWithoutGammaChange() {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        int[] values = {0, 100, 200};
        for (int x = 0; x < 3; x++) {
            img.getRaster().setSample(x, 0, 0, values[x]);
        }
        PixelBuffer rgb = roundTrip(img, "png");
        assertThat(TestImages.rgb(rgb)).containsExactly(0x000000, 0x646464, 0xC8C8C8);
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
        PixelBuffer rgb = roundTrip(new BufferedImage(cm, r, false, null), "png");
        assertThat(TestImages.rgb(rgb)).containsExactly(0x323232, 0xDCDCDC);
    }

    @Test
    void rgbaPngKeepsColourUnderTransparency() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00102030);
        img.setRGB(1, 0, 0x80FF8000);
        assertThat(TestImages.rgb(roundTrip(img, "png"))).containsExactly(0x102030, 0xFF8000);
    }

    @Test
    void sixteenBitGreyAndRgbScaleToEightBits() {
        BufferedImage grey = new BufferedImage(4, 1, BufferedImage.TYPE_USHORT_GRAY);
        int[] g = {0, 257 * 100, 0x8080, 65535};
        for (int x = 0; x < 4; x++) {
            grey.getRaster().setSample(x, 0, 0, g[x]);
        }
        assertThat(TestImages.rgb(roundTrip(grey, "png"))).containsExactly(0x000000, 0x646464, 0x808080, 0xFFFFFF);

        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(2, 1);
        r.setPixel(0, 0, new int[] {65535, 257 * 50, 0, 0});
        r.setPixel(1, 0, new int[] {257 * 7, 65534, 300, 65535});
        PixelBuffer rgb = roundTrip(new BufferedImage(cm, r, false, null), "png");
        assertThat(TestImages.rgb(rgb)).containsExactly(0xFF3200, 0x07FF01);
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
        assertThat(TestImages.rgb(roundTrip(img, "png"))).containsExactly(0x000000, 0xFF0000, 0x00FF00, 0x0A141E);
    }

    @Test
    void jpegBmpAndGifDecode() {
        BufferedImage img = TestImages.solid(8, 8, 0x2060A0);
        for (String format : new String[] {"jpg", "bmp", "gif"}) {
            PixelBuffer rgb = roundTrip(img, format);
            assertThat(rgb.width()).isEqualTo(8);
            int p = TestImages.rgb(rgb, 4, 4);
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
        int p = TestImages.rgb(roundTrip(grey, "jpg"), 3, 3);
        assertThat(p >> 16).isEqualTo((p >> 8) & 0xFF).isEqualTo(p & 0xFF).isBetween(87, 93);
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
    void aDamagedFourComponentJpegIsUnreadable() {
        // a three-component JPEG whose frame header claims four: decoded as CMYK, its scan data cannot fit
        byte[] jpeg = TestImages.encode(TestImages.solid(40, 20, 0xFF0000), "jpg");
        for (int i = 2; i < jpeg.length - 9; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xC0) {
                jpeg[i + 9] = 4;
                break;
            }
        }
        Path file = TestImages.bytes(dir.resolve("cmyk.jpg"), jpeg);
        assertThatThrownBy(() -> ImageDecoder.decode(file)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("cmyk.jpg");
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
