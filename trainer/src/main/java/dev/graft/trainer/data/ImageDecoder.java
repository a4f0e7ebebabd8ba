package dev.graft.trainer.data;

import dev.graft.files.ByteCapExceededException;
import dev.graft.files.FileRefusedException;
import dev.graft.files.InputFiles;
import dev.graft.image.BadImageException;
import dev.graft.image.PixelBuffer;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The training side's entry to Graft's one image decoder ({@link dev.graft.image.ImageDecoder}): the same pixels the
 * exporter calibrates on and runtime-edge predicts on, with the trainer's error policy. Every failure, including a
 * missing file, is an {@link UnreadableImageException} naming the file, which a data loader reports once and skips.
 *
 * <p>The decoding rules (PIL's {@code convert("RGB")}: alpha kept apart and never composited, grey replicated as
 * stored, 16-bit rounded to 8, palettes mapped, EXIF orientation applied, Adobe CMYK and YCCK JPEGs converted) and the
 * pixel limit live in the image module. Thread-safe.
 */
public final class ImageDecoder {
    private ImageDecoder() {
    }

    /** {@link #decode(Path, long)} under the default limit of 64 MiB. */
    public static PixelBuffer decode(Path path) {
        return decode(path, InputFiles.DEFAULT_MAX_IMAGE_BYTES);
    }

    /**
     * Decodes {@code path}, a regular file of at most {@code maxBytes}. A larger file, or one that never ends
     * ({@code /dev/zero}, a FIFO), is refused before it is read; its exception's cause is the
     * {@link dev.graft.files.FileRefusedException} (a {@link ByteCapExceededException} for a file over the limit).
     */
    public static PixelBuffer decode(Path path, long maxBytes) {
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
    public static PixelBuffer decode(byte[] bytes, Path name) {
        if (bytes.length == 0) {
            throw new UnreadableImageException(name, "empty file");
        }
        PixelBuffer pixels = new PixelBuffer();
        try {
            dev.graft.image.ImageDecoder.decode(bytes, dev.graft.image.ImageDecoder.DEFAULT_MAX_PIXELS, pixels);
        } catch (BadImageException e) {
            throw new UnreadableImageException(name, e.getMessage(), e);
        }
        return pixels;
    }
}
