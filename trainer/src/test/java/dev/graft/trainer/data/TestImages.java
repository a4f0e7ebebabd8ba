package dev.graft.trainer.data;

import dev.graft.image.PixelBuffer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Writes tiny real image files for tests. */
final class TestImages {
    private TestImages() {
    }

    static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    static Path png(Path file, BufferedImage img) {
        return write(file, img, "png");
    }

    static Path png(Path file, int w, int h, int rgb) {
        return png(file, solid(w, h, rgb));
    }

    static byte[] encode(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no writer for " + format + " / " + img);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Path write(Path file, BufferedImage img, String format) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, encode(img, format));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static Path bytes(Path file, byte[] content) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static Path text(Path file, String content) {
        return bytes(file, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The decoded pixels as {@code 0xRRGGBB}, alpha masked off: what an RGB model reads. */
    static int[] rgb(PixelBuffer p) {
        int[] out = java.util.Arrays.copyOf(p.data(), p.width() * p.height());
        for (int i = 0; i < out.length; i++) {
            out[i] &= 0xFFFFFF;
        }
        return out;
    }

    /** The decoded pixel at (x, y) as {@code 0xRRGGBB}. */
    static int rgb(PixelBuffer p, int x, int y) {
        return p.argb(x, y) & 0xFFFFFF;
    }
}
