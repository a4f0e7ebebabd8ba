package dev.graft.image;

/**
 * The few facts about a JPEG that ImageIO's decoder gets wrong or ignores, read from the marker segments before the
 * first scan: the component count (4 means CMYK or YCCK), Adobe's colour transform flag (whether CMYK values are stored
 * inverted, and whether they are YCCK), and the EXIF orientation phones write instead of rotating pixels.
 *
 * <p>Every parser here gives up quietly on malformed input (returning the "nothing special" answer); the decoder
 * itself reports corrupt files.
 */
final class JpegMarkers {
    /** No Adobe APP14 segment. */
    static final int NO_ADOBE = -1;

    final int components;
    final int adobeTransform;
    final int orientation;

    private JpegMarkers(int components, int adobeTransform, int orientation) {
        this.components = components;
        this.adobeTransform = adobeTransform;
        this.orientation = orientation;
    }

    static boolean isJpeg(byte[] b) {
        return b.length > 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF;
    }

    /** Walks the segments up to the first scan. */
    static JpegMarkers read(byte[] b) {
        int components = 0;
        int adobe = NO_ADOBE;
        int orientation = 1;
        int pos = 2;
        while (pos + 4 <= b.length) {
            if ((b[pos] & 0xFF) != 0xFF) {
                break;
            }
            int marker = b[pos + 1] & 0xFF;
            if (marker == 0xFF) {
                pos++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                break;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos += 2;
                continue;
            }
            int length = u16(b, pos + 2, false);
            if (length < 2 || pos + 2 + length > b.length) {
                break;
            }
            int start = pos + 4;
            int len = length - 2;
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof && len >= 6 && components == 0) {
                components = b[start + 5] & 0xFF;
            } else if (marker == 0xEE && len >= 12 && b[start] == 'A' && b[start + 1] == 'd' && b[start + 2] == 'o'
                    && b[start + 3] == 'b' && b[start + 4] == 'e') {
                adobe = b[start + 11] & 0xFF;
            } else if (marker == 0xE1 && orientation == 1) {
                orientation = exifOrientation(b, start, len);
            }
            pos += 2 + length;
        }
        return new JpegMarkers(components, adobe, orientation);
    }

    /** Tag 0x0112 of IFD0 in an APP1 Exif payload; 1 when absent or malformed. */
    static int exifOrientation(byte[] b, int start, int len) {
        if (len < 14 || b[start] != 'E' || b[start + 1] != 'x' || b[start + 2] != 'i' || b[start + 3] != 'f'
                || b[start + 4] != 0 || b[start + 5] != 0) {
            return 1;
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
            if (u16(b, p, little) == 0x0112) {
                int type = u16(b, p + 2, little);
                int value = type == 3 ? u16(b, p + 8, little) : type == 4 ? (int) u32(b, p + 8, little) : 1;
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int p, boolean little) {
        int a = b[p] & 0xFF;
        int c = b[p + 1] & 0xFF;
        return little ? c << 8 | a : a << 8 | c;
    }

    private static long u32(byte[] b, int p, boolean little) {
        long hi = u16(b, little ? p + 2 : p, little);
        long lo = u16(b, little ? p : p + 2, little);
        return hi << 16 | lo;
    }
}
