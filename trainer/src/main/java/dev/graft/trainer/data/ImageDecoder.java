package dev.graft.trainer.data;

import dev.graft.files.ByteCapExceededException;
import dev.graft.files.FileRefusedException;
import dev.graft.files.InputFiles;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.color.ColorSpace;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns image files into RGB pixels the way PIL's {@code Image.open(f).convert("RGB")} does for fastai, so a model
 * trained here sees the same pixels it would have seen there.
 *
 * <p>Choices that differ between decoders, made explicit:
 * <ul>
 *   <li><b>Alpha is dropped</b>, not composited: the colour under a transparent pixel is kept, as PIL's
 *       {@code convert("RGB")} does. Compositing over white would change every cut-out product photo relative to
 *       fastai's pipeline.</li>
 *   <li><b>Grey</b> (with or without alpha) is replicated into R, G and B from the raw samples. Java2D's
 *       {@code getRGB} would treat grey PNGs as linear and brighten them; the samples are already gamma-encoded.</li>
 *   <li><b>16-bit</b> samples are scaled to 8 bits with rounding, {@code round(v * 255 / 65535)}.</li>
 *   <li><b>Palette</b> images map through their palette (transparency ignored, as above).</li>
 *   <li><b>EXIF orientation</b> of JPEGs is applied (see {@link ExifOrientation}).</li>
 *   <li><b>CMYK/YCCK JPEGs</b> are reported as unreadable; ImageIO cannot decode them and guessing the colour
 *       conversion would silently produce wrong colours.</li>
 * </ul>
 * GIFs yield their first frame. Thread-safe: no shared state; ImageIO's disk cache is bypassed.
 */
public final class ImageDecoder {
    private ImageDecoder() {
    }

    /** {@link #decode(Path, long)} under the default limit of 64 MiB. */
    public static RgbImage decode(Path path) {
        return decode(path, InputFiles.DEFAULT_MAX_IMAGE_BYTES);
    }

    /**
     * Decodes {@code path}, a regular file of at most {@code maxBytes}; every failure, including a missing file, is an
     * {@link UnreadableImageException}. A larger file, or one that never ends ({@code /dev/zero}, a FIFO), is refused
     * before it is read; its exception's cause is the {@link dev.graft.files.FileRefusedException} (a
     * {@link ByteCapExceededException} for a file over the limit).
     */
    public static RgbImage decode(Path path, long maxBytes) {
        byte[] bytes;
        try {
            bytes = InputFiles.readAllBytes(path, maxBytes, null);
        } catch (NoSuchFileException e) {
            throw new UnreadableImageException(path, "file not found", e);
        } catch (FileRefusedException e) {
            // the message starts with the path, which UnreadableImageException adds itself
            String m = e.getMessage();
            String prefix = path + " ";
            throw new UnreadableImageException(path, m.startsWith(prefix) ? "it " + m.substring(prefix.length()) : m, e);
        } catch (IOException e) {
            throw new UnreadableImageException(path, InputFiles.reason(e), e);
        }
        return decode(bytes, path);
    }

    /** Decodes an encoded image held in memory; {@code name} only labels errors. */
    public static RgbImage decode(byte[] bytes, Path name) {
        if (bytes.length == 0) {
            throw new UnreadableImageException(name, "empty file");
        }
        boolean jpeg = bytes.length > 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8;
        if (jpeg && jpegComponents(bytes) == 4) {
            throw new UnreadableImageException(name, "CMYK JPEGs are not supported; convert the image to RGB");
        }
        BufferedImage img;
        try {
            // read(ImageInputStream) closes the stream itself; a memory stream holds no other resource
            ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
            img = ImageIO.read(in);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new UnreadableImageException(name, "corrupt or unsupported image (" + why + ")", e);
        }
        if (img == null) {
            throw new UnreadableImageException(name, "not an image format Java can read (JPEG, PNG, BMP, GIF)");
        }
        RgbImage rgb = toRgb(img);
        return jpeg ? ExifOrientation.apply(rgb, ExifOrientation.read(bytes)) : rgb;
    }

    /** Converts any {@link BufferedImage} with the same rules as file decoding (alpha dropped, grey replicated). */
    public static RgbImage toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] out = new int[w * h];
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (cm instanceof IndexColorModel) {
            palette((IndexColorModel) cm, raster, out, w, h);
        } else if (cm instanceof ComponentColorModel && isGreyOrSrgb(cm.getColorSpace())
                && !cm.isAlphaPremultiplied()) {
            if (!bytesInterleaved(raster, cm.getNumComponents(), out, w, h)) {
                components(cm, raster, out, w, h);
            }
        } else {
            img.getRGB(0, 0, w, h, out, 0, w);
            for (int i = 0; i < out.length; i++) {
                out[i] &= 0xFFFFFF;
            }
        }
        return new RgbImage(w, h, out);
    }

    private static boolean isGreyOrSrgb(ColorSpace cs) {
        return cs.isCS_sRGB() || cs.getType() == ColorSpace.TYPE_GRAY;
    }

    private static void palette(IndexColorModel icm, Raster raster, int[] out, int w, int h) {
        int[] lut = new int[icm.getMapSize()];
        icm.getRGBs(lut);
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            int o = y * w;
            for (int x = 0; x < w; x++) {
                int index = row[x];
                out[o + x] = index < lut.length ? lut[index] & 0xFFFFFF : 0;
            }
        }
    }

    /** Fast path for 8-bit interleaved bytes (JPEG, 8-bit PNG): reads the data buffer directly. */
    private static boolean bytesInterleaved(Raster raster, int bands, int[] out, int w, int h) {
        if (!(raster.getSampleModel() instanceof PixelInterleavedSampleModel)
                || !(raster.getDataBuffer() instanceof DataBufferByte)
                || raster.getDataBuffer().getNumBanks() != 1
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0) {
            return false;
        }
        PixelInterleavedSampleModel sm = (PixelInterleavedSampleModel) raster.getSampleModel();
        for (int b = 0; b < bands; b++) {
            if (sm.getSampleSize(b) != 8) {
                return false;
            }
        }
        byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
        int base = raster.getDataBuffer().getOffset();
        int stride = sm.getScanlineStride();
        int px = sm.getPixelStride();
        int[] off = sm.getBandOffsets();
        boolean grey = bands <= 2;
        int r = off[0];
        int g = grey ? off[0] : off[1];
        int bl = grey ? off[0] : off[2];
        for (int y = 0; y < h; y++) {
            int p = base + y * stride;
            int o = y * w;
            for (int x = 0; x < w; x++, p += px) {
                out[o + x] = (data[p + r] & 0xFF) << 16 | (data[p + g] & 0xFF) << 8 | (data[p + bl] & 0xFF);
            }
        }
        return true;
    }

    /** General path for grey or sRGB samples of any depth (16-bit PNG, packed 1/2/4-bit grey). */
    private static void components(ColorModel cm, Raster raster, int[] out, int w, int h) {
        int bands = raster.getNumBands();
        boolean grey = cm.getNumColorComponents() == 1;
        int[] max = new int[3];
        for (int c = 0; c < 3; c++) {
            int bits = raster.getSampleModel().getSampleSize(grey ? 0 : c);
            max[c] = (1 << bits) - 1;
        }
        boolean plain8 = max[0] == 255 && max[1] == 255 && max[2] == 255;
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            int o = y * w;
            for (int x = 0, p = 0; x < w; x++, p += bands) {
                int r = row[p];
                int g = grey ? r : row[p + 1];
                int b = grey ? r : row[p + 2];
                if (!plain8) {
                    r = scale(r, max[0]);
                    g = scale(g, max[grey ? 0 : 1]);
                    b = scale(b, max[grey ? 0 : 2]);
                }
                out[o + x] = r << 16 | g << 8 | b;
            }
        }
    }

    private static int scale(int v, int max) {
        return (int) ((v * 255L + max / 2) / max);
    }

    /** The component count of the first SOF frame header, or 0 when none is found. */
    static int jpegComponents(byte[] b) {
        int pos = 2;
        while (pos + 4 <= b.length) {
            if ((b[pos] & 0xFF) != 0xFF) {
                return 0;
            }
            int marker = b[pos + 1] & 0xFF;
            if (marker == 0xFF) {
                pos++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                return 0;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos += 2;
                continue;
            }
            int length = ((b[pos + 2] & 0xFF) << 8) | (b[pos + 3] & 0xFF);
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof && pos + 9 < b.length) {
                return b[pos + 9] & 0xFF;
            }
            if (length < 2) {
                return 0;
            }
            pos += 2 + length;
        }
        return 0;
    }
}
