package dev.graft.interpret;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * Small JPEG thumbnails as {@code data:} URIs, so the report carries its images inside the one HTML file. Made only
 * for the images the report shows (the top losses), after the run, so the stream itself keeps no pixels.
 */
public final class Thumbnails {
    /** Longest side of a thumbnail, in pixels. */
    public static final int DEFAULT_SIDE = 160;
    /** Files larger than this are not decoded for a thumbnail. */
    private static final long MAX_BYTES = 64L << 20;
    /** Images with more pixels than this get no thumbnail. */
    private static final long MAX_PIXELS = 100_000_000L;

    private Thumbnails() {
    }

    /** Makes the thumbnail of one file; null when it cannot be read as an image. */
    @FunctionalInterface
    public interface Maker {
        String dataUri(String file);
    }

    /** Thumbnails read from the files with javax.imageio, longest side {@code side}. */
    public static Maker fromFiles(int side) {
        return file -> {
            try {
                Path p = Path.of(file);
                if (!Files.isRegularFile(p) || Files.size(p) > MAX_BYTES) {
                    return null;
                }
                BufferedImage img = read(p, side);
                return img == null ? null : dataUri(img, side);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        };
    }

    /**
     * Decodes only what a thumbnail needs: the header first (an image over {@value #MAX_PIXELS} pixels is skipped, so a
     * small file claiming a huge size cannot exhaust memory), then every n-th pixel so that the decoded image is at
     * most about twice the thumbnail's side.
     */
    private static BufferedImage read(Path p, int side) throws IOException {
        try (InputStream in = Files.newInputStream(p);
             javax.imageio.stream.ImageInputStream stream = ImageIO.createImageInputStream(in)) {
            if (stream == null) {
                return null;
            }
            java.util.Iterator<javax.imageio.ImageReader> readers = ImageIO.getImageReaders(stream);
            if (!readers.hasNext()) {
                return null;
            }
            javax.imageio.ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
                    return null;
                }
                javax.imageio.ImageReadParam param = reader.getDefaultReadParam();
                int step = (int) Math.max(1, Math.max(w, h) / (2L * side));
                param.setSourceSubsampling(step, step, 0, 0);
                return reader.read(0, param);
            } finally {
                reader.dispose();
            }
        }
    }

    /** No thumbnails (the report shows the file names only). */
    public static Maker none() {
        return file -> null;
    }

    /** The image scaled so that its longer side is at most {@code side}, as a base64 JPEG data URI. */
    public static String dataUri(BufferedImage img, int side) throws IOException {
        double scale = Math.min(1.0, side / (double) Math.max(img.getWidth(), img.getHeight()));
        int w = Math.max(1, (int) Math.round(img.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(img.getHeight() * scale));
        BufferedImage small = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = small.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(img, 0, 0, w, h, java.awt.Color.WHITE, null);
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(small, "jpeg", out)) {
            throw new IOException("no JPEG writer");
        }
        return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
