package dev.graft.trainer.data;

/**
 * Reads the EXIF orientation of a JPEG and applies it, because phones store photos sideways and flag the rotation
 * rather than rotating pixels, and ImageIO ignores the flag.
 *
 * <p>The parser walks the JPEG markers up to the first scan, finds the APP1 {@code Exif} segment, and reads tag
 * {@code 0x0112} from IFD0 of its TIFF structure in either byte order. Anything malformed means orientation 1.
 */
final class ExifOrientation {
    static final int TAG_ORIENTATION = 0x0112;

    private ExifOrientation() {
    }

    /** The orientation (1..8) recorded in {@code jpeg}, or 1 when there is none or it cannot be read. */
    static int read(byte[] jpeg) {
        if (jpeg.length < 4 || (jpeg[0] & 0xFF) != 0xFF || (jpeg[1] & 0xFF) != 0xD8) {
            return 1;
        }
        int pos = 2;
        while (pos + 4 <= jpeg.length) {
            if ((jpeg[pos] & 0xFF) != 0xFF) {
                return 1;
            }
            int marker = jpeg[pos + 1] & 0xFF;
            if (marker == 0xFF) {
                pos++; // fill byte
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                return 1; // start of scan or end of image: no Exif before the pixels
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos += 2; // markers without a length
                continue;
            }
            int length = u16(jpeg, pos + 2, false);
            if (length < 2 || pos + 2 + length > jpeg.length) {
                return 1;
            }
            if (marker == 0xE1) {
                int o = exif(jpeg, pos + 4, length - 2);
                if (o != 0) {
                    return o;
                }
            }
            pos += 2 + length;
        }
        return 1;
    }

    /** Orientation from one APP1 payload, or 0 when the payload is not Exif. */
    private static int exif(byte[] b, int start, int len) {
        if (len < 14 || b[start] != 'E' || b[start + 1] != 'x' || b[start + 2] != 'i' || b[start + 3] != 'f'
                || b[start + 4] != 0 || b[start + 5] != 0) {
            return 0;
        }
        int tiff = start + 6;
        int end = start + len;
        boolean little;
        if (b[tiff] == 'I' && b[tiff + 1] == 'I') {
            little = true;
        } else if (b[tiff] == 'M' && b[tiff + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        if (u16(b, tiff + 2, little) != 42) {
            return 1;
        }
        long ifd = u32(b, tiff + 4, little);
        if (ifd < 8 || tiff + ifd + 2 > end) {
            return 1;
        }
        int p = (int) (tiff + ifd);
        int count = u16(b, p, little);
        p += 2;
        for (int i = 0; i < count && p + 12 <= end; i++, p += 12) {
            if (u16(b, p, little) != TAG_ORIENTATION) {
                continue;
            }
            int type = u16(b, p + 2, little);
            int value;
            if (type == 3) { // SHORT: left-justified in the 4-byte value field
                value = u16(b, p + 8, little);
            } else if (type == 4) { // LONG, written by a few tools
                value = (int) u32(b, p + 8, little);
            } else {
                return 1;
            }
            return value >= 1 && value <= 8 ? value : 1;
        }
        return 1;
    }

    private static int u16(byte[] b, int p, boolean little) {
        int a = b[p] & 0xFF;
        int c = b[p + 1] & 0xFF;
        return little ? (c << 8) | a : (a << 8) | c;
    }

    private static long u32(byte[] b, int p, boolean little) {
        long hi = u16(b, little ? p + 2 : p, little);
        long lo = u16(b, little ? p : p + 2, little);
        return (hi << 16) | lo;
    }

    /**
     * The image as it should be displayed for EXIF {@code orientation}: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
     * 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
     */
    static RgbImage apply(RgbImage img, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return img;
        }
        int w = img.width();
        int h = img.height();
        int[] src = img.pixels();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        int[] dst = new int[src.length];
        for (int y = 0; y < oh; y++) {
            int row = y * ow;
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2: sx = w - 1 - x; sy = y; break;
                    case 3: sx = w - 1 - x; sy = h - 1 - y; break;
                    case 4: sx = x; sy = h - 1 - y; break;
                    case 5: sx = y; sy = x; break;
                    case 6: sx = y; sy = h - 1 - x; break;
                    case 7: sx = w - 1 - y; sy = h - 1 - x; break;
                    default: sx = w - 1 - y; sy = x; break; // 8
                }
                dst[row + x] = src[sy * w + sx];
            }
        }
        return new RgbImage(ow, oh, dst);
    }
}
