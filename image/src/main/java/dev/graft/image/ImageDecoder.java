package dev.graft.image;

import dev.graft.files.InputFiles;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns encoded images into straight (non-premultiplied) ARGB pixels the way PIL's {@code convert("RGB")} does for
 * fastai, so a deployed model sees the pixels it was trained on; the training side's decoder follows the same rules.
 *
 * <ul>
 *   <li><b>Size first.</b> The width and height are read from the header and an image over the pixel limit is refused
 *       before a single pixel is decoded: a 30-byte PNG can claim 100000 x 100000 pixels and ask for 40 GB.</li>
 *   <li><b>EXIF orientation</b> of JPEGs is applied while the pixels are copied out (phones store photos sideways and
 *       set a flag; ImageIO ignores it).</li>
 *   <li><b>Grey</b> samples are replicated into R, G and B as stored (Java2D's {@code getRGB} would treat them as linear
 *       light and brighten them). <b>16-bit</b> samples are scaled to 8 bits with rounding.</li>
 *   <li><b>Alpha</b> is kept in the top byte but never composited: a model reading RGB sees the colour under a
 *       transparent pixel, as PIL's {@code convert("RGB")} gives it.</li>
 *   <li><b>CMYK and YCCK JPEGs</b> are decoded as raw components and converted here: ImageIO either rejects them or (JDK
 *       11 and later) ignores Adobe's inverted storage and returns wrong colours. An Adobe APP14 segment means inverted
 *       values (Photoshop's convention, also PIL's); YCCK is first turned back into CMY with the JFIF equations. The
 *       conversion is PIL's naive one, {@code R = (255 - C)(255 - K) / 255}; embedded ICC profiles are ignored.</li>
 *   <li><b>Truncated files</b> are errors. ImageIO's JPEG decoder only warns and fills the rest with grey; that warning
 *       is turned into a {@link BadImageException}.</li>
 * </ul>
 *
 * <p>Thread-safe: no shared state, and ImageIO's disk cache is bypassed. Every failure is a {@link BadImageException}
 * with a one-line message.
 */
public final class ImageDecoder {
    /** The default pixel limit: 50 megapixels, above any camera a classifier is likely to be fed from. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    private ImageDecoder() {
    }

    /**
     * Decodes an encoded image (JPEG, PNG, BMP, GIF, TIFF, WBMP) into {@code into}.
     *
     * @param maxPixels the largest width x height accepted, checked against the header before decoding
     * @throws BadImageException if the bytes are empty, not an image, truncated, corrupt, or too large
     */
    public static void decode(byte[] bytes, long maxPixels, PixelBuffer into) {
        if (bytes.length == 0) {
            throw new BadImageException("the image is empty (0 bytes)");
        }
        boolean jpeg = JpegMarkers.isJpeg(bytes);
        JpegMarkers markers = jpeg ? JpegMarkers.read(bytes) : null;
        ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
        ImageReader reader = null;
        try {
            reader = openReader(in);
            WarningCatcher warnings = new WarningCatcher();
            reader.addIIOReadWarningListener(warnings);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            checkSize(width, height, maxPixels);
            if (markers != null && markers.components == 4) {
                Raster raster = reader.readRaster(0, null);
                cmyk(raster, markers.adobeTransform, markers.orientation, into);
            } else {
                BufferedImage img = reader.read(0);
                toPixels(img, markers == null ? 1 : markers.orientation, into);
            }
            if (warnings.message != null) {
                throw new BadImageException("the image is truncated or corrupt (" + warnings.message + ")");
            }
        } catch (BadImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BadImageException("the image is truncated or corrupt (" + describe(e) + ")", e);
        } finally {
            close(reader, in);
        }
    }

    /**
     * Reads {@code file}, a regular file of at most {@code maxBytes}, and decodes it into {@code into}. A larger file,
     * or one that never ends ({@code /dev/zero}, a FIFO), is refused before it is read.
     *
     * @throws IOException if the file cannot be read; a {@link dev.graft.files.FileRefusedException} (or its subclass
     *     {@link dev.graft.files.ByteCapExceededException}) if it is refused
     * @throws BadImageException if the bytes are not a usable image (the message does not name the file)
     */
    public static void read(Path file, long maxBytes, long maxPixels, PixelBuffer into) throws IOException {
        decode(InputFiles.readAllBytes(file, maxBytes, null), maxPixels, into);
    }

    /**
     * The width and height an image will have once decoded (EXIF orientation applied), read from the headers without
     * decoding a pixel.
     *
     * @throws BadImageException if the bytes are empty or not an image
     */
    public static int[] size(byte[] bytes) {
        if (bytes.length == 0) {
            throw new BadImageException("the image is empty (0 bytes)");
        }
        int orientation = JpegMarkers.isJpeg(bytes) ? JpegMarkers.read(bytes).orientation : 1;
        ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
        ImageReader reader = null;
        try {
            reader = openReader(in);
            int w = reader.getWidth(0);
            int h = reader.getHeight(0);
            return orientation >= 5 && orientation <= 8 ? new int[] {h, w} : new int[] {w, h};
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadImageException b) {
                throw b;
            }
            throw new BadImageException("the image header is truncated or corrupt (" + describe(e) + ")", e);
        } finally {
            close(reader, in);
        }
    }

    /** The reader for the format the stream's first bytes announce, positioned on the first image. */
    private static ImageReader openReader(ImageInputStream in) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new BadImageException("not an image (no JPEG, PNG, BMP, GIF, TIFF or WBMP header)");
        }
        ImageReader reader = readers.next();
        reader.setInput(in, true, true);
        return reader;
    }

    private static void close(ImageReader reader, ImageInputStream in) {
        if (reader != null) {
            reader.dispose();
        }
        try {
            in.close();
        } catch (IOException ignored) {
            // a memory stream holds nothing to release
        }
    }

    /**
     * Copies a decoded image into {@code into} with the same rules as file decoding.
     *
     * @throws BadImageException if the image is over the pixel limit
     */
    public static void fromImage(BufferedImage img, long maxPixels, PixelBuffer into) {
        checkSize(img.getWidth(), img.getHeight(), maxPixels);
        toPixels(img, 1, into);
    }

    private static void checkSize(int width, int height, long maxPixels) {
        long pixels = (long) width * height;
        if (width <= 0 || height <= 0) {
            throw new BadImageException("the image header claims " + width + " x " + height + " pixels");
        }
        if (pixels > maxPixels) {
            throw new BadImageException("the image is " + width + " x " + height + " pixels (" + pixels / 1_000_000
                    + " megapixels), over the limit of " + maxPixels + " pixels; refused before decoding");
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ").trim();
    }

    /** Records the first decoder warning (a JPEG's "Premature end of JPEG file"). */
    private static final class WarningCatcher implements IIOReadWarningListener {
        String message;

        @Override
        public void warningOccurred(ImageReader source, String warning) {
            if (message == null) {
                message = warning;
            }
        }
    }

    /**
     * Where raw pixel (x, y) of a w x h image lands after an EXIF orientation: index {@code a + x * sx + y * sy} of an
     * image {@code outW} wide.
     */
    private record Orientation(int outW, int outH, int a, int sx, int sy) {
        static Orientation of(int o, int w, int h) {
            return switch (o) {
                case 2 -> new Orientation(w, h, w - 1, -1, w);
                case 3 -> new Orientation(w, h, (h - 1) * w + w - 1, -1, -w);
                case 4 -> new Orientation(w, h, (h - 1) * w, 1, -w);
                case 5 -> new Orientation(h, w, 0, h, 1);
                case 6 -> new Orientation(h, w, h - 1, h, -1);
                case 7 -> new Orientation(h, w, (w - 1) * h + h - 1, -h, -1);
                case 8 -> new Orientation(h, w, (w - 1) * h, -h, 1);
                default -> new Orientation(w, h, 0, 1, w);
            };
        }
    }

    static void toPixels(BufferedImage img, int orientation, PixelBuffer into) {
        int w = img.getWidth();
        int h = img.getHeight();
        Orientation o = Orientation.of(orientation, w, h);
        int[] out = into.reset(o.outW, o.outH);
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (cm instanceof IndexColorModel icm) {
            palette(icm, raster, out, w, h, o);
        } else if (cm instanceof ComponentColorModel && isGreyOrSrgb(cm.getColorSpace()) && !cm.isAlphaPremultiplied()) {
            if (!bytesInterleaved(cm, raster, out, w, h, o)) {
                components(cm, raster, out, w, h, o);
            }
        } else if (!packedInts(img, out, w, h, o)) {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                int p = o.a + y * o.sy;
                for (int x = 0; x < w; x++, p += o.sx) {
                    out[p] = row[x];
                }
            }
        }
    }

    private static boolean isGreyOrSrgb(ColorSpace cs) {
        return cs.isCS_sRGB() || cs.getType() == ColorSpace.TYPE_GRAY;
    }

    private static void palette(IndexColorModel icm, Raster raster, int[] out, int w, int h, Orientation o) {
        int[] lut = new int[icm.getMapSize()];
        icm.getRGBs(lut);
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            int p = o.a + y * o.sy;
            for (int x = 0; x < w; x++, p += o.sx) {
                int index = row[x];
                out[p] = index < lut.length ? lut[index] : 0xFF000000;
            }
        }
    }

    /** TYPE_INT_RGB and TYPE_INT_ARGB straight from their data array. */
    private static boolean packedInts(BufferedImage img, int[] out, int w, int h, Orientation o) {
        int type = img.getType();
        Raster raster = img.getRaster();
        if ((type != BufferedImage.TYPE_INT_RGB && type != BufferedImage.TYPE_INT_ARGB)
                || !(raster.getDataBuffer() instanceof DataBufferInt db) || db.getNumBanks() != 1
                || !(raster.getSampleModel() instanceof SinglePixelPackedSampleModel sm)
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0) {
            return false;
        }
        int[] data = db.getData();
        int base = db.getOffset();
        int stride = sm.getScanlineStride();
        int alpha = type == BufferedImage.TYPE_INT_RGB ? 0xFF000000 : 0;
        for (int y = 0; y < h; y++) {
            int s = base + y * stride;
            int p = o.a + y * o.sy;
            for (int x = 0; x < w; x++, p += o.sx) {
                out[p] = data[s + x] | alpha;
            }
        }
        return true;
    }

    /** 8-bit interleaved bytes (JPEG's BGR, PNG's RGB/RGBA/grey): reads the data array directly. */
    private static boolean bytesInterleaved(ColorModel cm, Raster raster, int[] out, int w, int h, Orientation o) {
        if (!(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                || !(raster.getDataBuffer() instanceof DataBufferByte db) || db.getNumBanks() != 1
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0) {
            return false;
        }
        int bands = sm.getNumBands();
        for (int b = 0; b < bands; b++) {
            if (sm.getSampleSize(b) != 8) {
                return false;
            }
        }
        byte[] data = db.getData();
        int base = db.getOffset();
        int stride = sm.getScanlineStride();
        int px = sm.getPixelStride();
        int[] off = sm.getBandOffsets();
        boolean grey = cm.getNumColorComponents() == 1;
        boolean alpha = cm.hasAlpha();
        int r = off[0];
        int g = grey ? off[0] : off[1];
        int bl = grey ? off[0] : off[2];
        int a = alpha ? off[bands - 1] : -1;
        for (int y = 0; y < h; y++) {
            int s = base + y * stride;
            int p = o.a + y * o.sy;
            for (int x = 0; x < w; x++, s += px, p += o.sx) {
                int av = a < 0 ? 0xFF : data[s + a] & 0xFF;
                out[p] = av << 24 | (data[s + r] & 0xFF) << 16 | (data[s + g] & 0xFF) << 8 | (data[s + bl] & 0xFF);
            }
        }
        return true;
    }

    /** Grey or sRGB samples of any depth (16-bit PNG, 1/2/4-bit grey), scaled to 8 bits with rounding. */
    private static void components(ColorModel cm, Raster raster, int[] out, int w, int h, Orientation o) {
        int bands = raster.getNumBands();
        boolean grey = cm.getNumColorComponents() == 1;
        boolean alpha = cm.hasAlpha();
        int[] max = new int[bands];
        for (int b = 0; b < bands; b++) {
            max[b] = (1 << raster.getSampleModel().getSampleSize(b)) - 1;
        }
        int gi = grey ? 0 : 1;
        int bi = grey ? 0 : 2;
        int ai = bands - 1;
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            int p = o.a + y * o.sy;
            for (int x = 0, s = 0; x < w; x++, s += bands, p += o.sx) {
                int r = scale(row[s], max[0]);
                int g = scale(row[s + gi], max[gi]);
                int b = scale(row[s + bi], max[bi]);
                int a = alpha ? scale(row[s + ai], max[ai]) : 0xFF;
                out[p] = a << 24 | r << 16 | g << 8 | b;
            }
        }
    }

    private static int scale(int v, int max) {
        return max == 255 ? v : (int) ((v * 255L + max / 2) / max);
    }

    /**
     * Four-component JPEG data to RGB. With an Adobe segment the values are stored inverted (transform 0) or as YCCK
     * (transform 2, inverted K); without one they are plain CMYK.
     */
    private static void cmyk(Raster raster, int adobeTransform, int orientation, PixelBuffer into) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        if (raster.getNumBands() != 4) {
            throw new BadImageException("a four-component JPEG decoded to " + raster.getNumBands() + " bands");
        }
        Orientation o = Orientation.of(orientation, w, h);
        int[] out = into.reset(o.outW, o.outH);
        int[] row = new int[w * 4];
        int minX = raster.getMinX();
        int minY = raster.getMinY();
        for (int y = 0; y < h; y++) {
            raster.getPixels(minX, minY + y, w, 1, row);
            int p = o.a + y * o.sy;
            for (int x = 0, s = 0; x < w; x++, s += 4, p += o.sx) {
                int c0 = row[s];
                int c1 = row[s + 1];
                int c2 = row[s + 2];
                int k = row[s + 3];
                int r;
                int g;
                int b;
                if (adobeTransform == 2) {
                    // YCCK: the YCbCr part decodes to the ink amounts C, M, Y; K is stored inverted.
                    double yy = c0;
                    double cb = c1 - 128.0;
                    double cr = c2 - 128.0;
                    int c = clamp(yy + 1.402 * cr);
                    int m = clamp(yy - 0.344136 * cb - 0.714136 * cr);
                    int ye = clamp(yy + 1.772 * cb);
                    r = mul255(255 - c, k);
                    g = mul255(255 - m, k);
                    b = mul255(255 - ye, k);
                } else if (adobeTransform != JpegMarkers.NO_ADOBE) {
                    // Adobe CMYK: every value stored as 255 - ink
                    r = mul255(c0, k);
                    g = mul255(c1, k);
                    b = mul255(c2, k);
                } else {
                    r = mul255(255 - c0, 255 - k);
                    g = mul255(255 - c1, 255 - k);
                    b = mul255(255 - c2, 255 - k);
                }
                out[p] = 0xFF000000 | r << 16 | g << 8 | b;
            }
        }
    }

    private static int clamp(double v) {
        long r = Math.round(v);
        return r < 0 ? 0 : r > 255 ? 255 : (int) r;
    }

    /** {@code round(a * b / 255)} for a, b in 0..255. */
    private static int mul255(int a, int b) {
        int t = a * b + 128;
        return (t + (t >> 8)) >> 8;
    }
}
