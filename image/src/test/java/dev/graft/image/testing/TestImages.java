package dev.graft.image.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Synthetic images of every kind the decoder must handle, made with the JDK's own encoders. */
public final class TestImages {
    private TestImages() {
    }

    /** A colourful test picture: gradients, a rectangle, a disc (so crops and rotations change the prediction). */
    public static BufferedImage picture(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(seed);
        int base = r.nextInt(256);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int red = (x * 255 / Math.max(1, w - 1) + base) & 0xFF;
                int green = y * 255 / Math.max(1, h - 1);
                int blue = (x + y) * 3 & 0xFF;
                img.setRGB(x, y, red << 16 | green << 8 | blue);
            }
        }
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillRect(w / 8, h / 8, w / 3, h / 4);
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillOval(w / 2, h / 2, w / 3, h / 3);
        g.dispose();
        return img;
    }

    /** {@code img} redrawn into a new image of {@code type}. */
    public static BufferedImage convert(BufferedImage img, int type) {
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), type);
        Graphics2D g = out.createGraphics();
        g.drawImage(img, 0, 0, null);
        g.dispose();
        return out;
    }

    /** A grey image whose samples are the green channel of {@code img} (stored, not colour-managed). */
    public static BufferedImage grey(BufferedImage img) {
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = out.getRaster();
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                r.setSample(x, y, 0, (img.getRGB(x, y) >> 8) & 0xFF);
            }
        }
        return out;
    }

    /** A 16-bit-per-sample image (grey with 1 band, RGB with 3), each 8-bit value v stored as v * 257 + extra. */
    public static BufferedImage sixteenBit(BufferedImage img, boolean grey) {
        int bands = grey ? 1 : 3;
        ColorSpace cs = ColorSpace.getInstance(grey ? ColorSpace.CS_GRAY : ColorSpace.CS_sRGB);
        ComponentColorModel cm = new ComponentColorModel(cs, false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(img.getWidth(), img.getHeight());
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                for (int b = 0; b < bands; b++) {
                    int v = grey ? (p >> 8) & 0xFF : (p >> (16 - 8 * b)) & 0xFF;
                    r.setSample(x, y, b, v * 257);
                }
            }
        }
        return new BufferedImage(cm, r, false, null);
    }

    /** {@code img} with an alpha channel that varies across the image (colours unchanged). */
    public static BufferedImage withAlpha(BufferedImage img) {
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int a = (x * 7 + y * 13) & 0xFF;
                out.setRGB(x, y, a << 24 | (img.getRGB(x, y) & 0xFFFFFF));
            }
        }
        return out;
    }

    public static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (format.equals("jpeg")) {
                ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
                ImageWriteParam p = w.getDefaultWriteParam();
                p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(0.95f);
                try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
                    w.setOutput(ios);
                    w.write(null, new IIOImage(img, null, null), p);
                }
                w.dispose();
            } else if (!ImageIO.write(img, format, out)) {
                throw new IllegalArgumentException("no " + format + " writer for " + img);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A 4-component JPEG of raw component values (no colour transform, no Adobe segment). */
    public static byte[] rawFourComponentJpeg(Raster raster) {
        try {
            ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(1f);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
                w.setOutput(ios);
                w.write(null, new IIOImage(raster, null, null), p);
            }
            w.dispose();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ink amounts (C, M, Y, K in 0..255) PIL's naive conversion gives for {@code rgb}, with black pulled out. */
    public static int[] ink(int rgb) {
        int c = 255 - ((rgb >> 16) & 0xFF);
        int m = 255 - ((rgb >> 8) & 0xFF);
        int y = 255 - (rgb & 0xFF);
        int k = Math.min(c, Math.min(m, y)) / 2;
        return new int[] {c - k, m - k, y - k, k};
    }

    /** The RGB a CMYK decoder should produce for {@link #ink}: {@code (255 - C)(255 - K) / 255}. */
    public static int inkToRgb(int[] ink) {
        int r = (255 - ink[0]) * (255 - ink[3]) / 255;
        int g = (255 - ink[1]) * (255 - ink[3]) / 255;
        int b = (255 - ink[2]) * (255 - ink[3]) / 255;
        return r << 16 | g << 8 | b;
    }

    /**
     * {@code img} as a CMYK JPEG: {@code adobe} stores inverted values behind an Adobe segment (Photoshop), {@code ycck}
     * additionally stores the CMY part as YCbCr (Adobe transform 2); neither is plain CMYK without a segment.
     */
    public static byte[] cmykJpeg(BufferedImage img, boolean adobe, boolean ycck) {
        int w = img.getWidth();
        int h = img.getHeight();
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int[] ink = ink(img.getRGB(x, y));
                int[] stored = new int[4];
                if (ycck) {
                    double c = ink[0];
                    double m = ink[1];
                    double ye = ink[2];
                    stored[0] = clamp(0.299 * c + 0.587 * m + 0.114 * ye);
                    stored[1] = clamp(128 - 0.168736 * c - 0.331264 * m + 0.5 * ye);
                    stored[2] = clamp(128 + 0.5 * c - 0.418688 * m - 0.081312 * ye);
                    stored[3] = 255 - ink[3];
                } else {
                    for (int i = 0; i < 4; i++) {
                        stored[i] = adobe ? 255 - ink[i] : ink[i];
                    }
                }
                r.setPixel(x, y, stored);
            }
        }
        byte[] jpeg = rawFourComponentJpeg(r);
        return adobe || ycck ? insertAfterSoi(jpeg, adobeSegment(ycck ? 2 : 0)) : jpeg;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    static byte[] adobeSegment(int transform) {
        return new byte[] {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform};
    }

    /** {@code jpeg} with an EXIF APP1 segment carrying {@code orientation} (big-endian TIFF, one IFD0 entry). */
    public static byte[] withExifOrientation(byte[] jpeg, int orientation, boolean littleEndian) {
        ByteBuffer b = ByteBuffer.allocate(2 + 2 + 6 + 8 + 2 + 12 + 4);
        b.put((byte) 0xFF).put((byte) 0xE1).putShort((short) (b.capacity() - 2));
        b.put(new byte[] {'E', 'x', 'i', 'f', 0, 0});
        b.order(littleEndian ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN);
        b.put(littleEndian ? (byte) 'I' : (byte) 'M').put(littleEndian ? (byte) 'I' : (byte) 'M');
        b.putShort((short) 42).putInt(8);
        b.putShort((short) 1);
        b.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        b.putInt(0);
        return insertAfterSoi(jpeg, b.array());
    }

    static byte[] insertAfterSoi(byte[] jpeg, byte[] segment) {
        byte[] out = new byte[jpeg.length + segment.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(segment, 0, out, 2, segment.length);
        System.arraycopy(jpeg, 2, out, 2 + segment.length, jpeg.length - 2);
        return out;
    }

    /**
     * A small, valid-looking PNG whose header claims {@code w x h} pixels: signature, IHDR (8-bit RGB), a tiny IDAT
     * and IEND. Decoding it would need w * h * 3 bytes; only the header may be read.
     */
    public static byte[] pngClaiming(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0)
                .put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        b.put(t).put(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.putInt((int) crc.getValue());
        out.writeBytes(b.array());
    }

    /** The first {@code fraction} of {@code bytes}. */
    public static byte[] truncated(byte[] bytes, double fraction) {
        return java.util.Arrays.copyOf(bytes, (int) (bytes.length * fraction));
    }

    /** A test resource's bytes. */
    public static byte[] resource(String name) {
        try (InputStream in = TestImages.class.getResourceAsStream("/dev/graft/image/testing/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes with ImageIO (the reference for lossless formats). */
    public static BufferedImage read(byte[] bytes) {
        try {
            return ImageIO.read(new java.io.ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rotates/flips {@code img} per EXIF {@code orientation}, pixel by pixel (the reference for the decoder). */
    public static BufferedImage orient(BufferedImage img, int orientation) {
        int w = img.getWidth();
        int h = img.getHeight();
        boolean swap = orientation >= 5;
        BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    case 8 -> { sx = w - 1 - y; sy = x; }
                    default -> { sx = x; sy = y; }
                }
                out.setRGB(x, y, img.getRGB(sx, sy));
            }
        }
        return out;
    }

    /** {@code img}'s green channel (the grey value of {@link #grey}) as opaque RGB: what a grey file decodes to. */
    public static BufferedImage greyAsRgb(BufferedImage img) {
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int v = (img.getRGB(x, y) >> 8) & 0xFF;
                out.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        return out;
    }
}
