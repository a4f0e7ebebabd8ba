package dev.graft.files;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Objects;

/**
 * Reads a user-named file whole, within a byte cap, and only when it is a regular file.
 *
 * <p>Reading "the whole file" is unbounded for a file that never ends ({@code /dev/zero}, {@code /dev/urandom}, a FIFO
 * whose writer keeps writing) and as large as the disk for a huge one: a mistyped argument should not fill the heap
 * for half a minute and end in an {@link OutOfMemoryError}. So the file's kind is checked before it is opened (a FIFO
 * may block on open alone), its size is checked against the cap from its attributes, and at most cap + 1 bytes are
 * read, so a file that grows while being read is refused as soon as it passes the cap rather than read to its end.
 *
 * <p>Symbolic links are followed: what matters is what would be read.
 */
public final class InputFiles {
    /** The default cap on an image file: 64 MiB, far above any real photo (a 100-megapixel JPEG is about 30 MB). */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 64L << 20;
    /** The largest cap: one Java byte array. */
    public static final long MAX_CAP = Integer.MAX_VALUE - 8;

    private InputFiles() {
    }

    /**
     * Refuses anything but an existing regular file, without opening it.
     *
     * @param file the file as the user named it
     * @param limitName how the user raises the cap, for the message (e.g. {@code "--max-image-bytes"}); may be null
     * @return its size in bytes
     * @throws NoSuchFileException if it does not exist
     * @throws FileRefusedException if it is a directory, device, FIFO or socket
     * @throws ByteCapExceededException if it is larger than {@code maxBytes}
     * @throws IOException if its attributes cannot be read
     */
    public static long checkRegular(Path file, long maxBytes, String limitName) throws IOException {
        Objects.requireNonNull(file, "file");
        checkCap(maxBytes);
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        if (a.isDirectory()) {
            throw new FileRefusedException(file + " is a directory, not a file");
        }
        if (!a.isRegularFile()) {
            throw new FileRefusedException(file + " is " + kind(file) + ", not a regular file; only regular files are read");
        }
        if (a.size() > maxBytes) {
            throw tooLarge(file.toString(), a.size(), maxBytes, limitName);
        }
        return a.size();
    }

    /**
     * The bytes of a regular file of at most {@code maxBytes}.
     *
     * @param limitName how the user raises the cap, for the message (e.g. {@code "--max-image-bytes"}); may be null
     * @throws NoSuchFileException if it does not exist
     * @throws FileRefusedException if it is not a regular file or is over the cap (checked before reading, and again
     *     while reading, in case it grows)
     * @throws IOException if reading fails
     */
    public static byte[] readAllBytes(Path file, long maxBytes, String limitName) throws IOException {
        checkRegular(file, maxBytes, limitName);
        try (InputStream in = Files.newInputStream(file)) {
            return readAllBytes(in, maxBytes, file.toString(), limitName);
        }
    }

    /**
     * At most {@code maxBytes} bytes of a stream, read to its end; a stream with more is refused once the cap is
     * passed, after reading cap + 1 bytes, and not read further.
     *
     * @param name how messages name the stream (e.g. {@code "the request body"})
     * @param limitName how the user raises the cap, for the message; may be null
     * @throws ByteCapExceededException if the stream holds more than {@code maxBytes}
     */
    public static byte[] readAllBytes(InputStream in, long maxBytes, String name, String limitName) throws IOException {
        Objects.requireNonNull(in, "in");
        checkCap(maxBytes);
        byte[] bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE));
        if (bytes.length > maxBytes) {
            throw tooLarge(name, -1, maxBytes, limitName);
        }
        return bytes;
    }

    /** The refusal of an input over its cap: its size when known, the cap, and how to raise it. */
    public static ByteCapExceededException tooLarge(String name, long size, long maxBytes, String limitName) {
        return new ByteCapExceededException(name + " is " + (size >= 0 ? describeBytes(size) : "more than "
                + describeBytes(maxBytes)) + ", over the limit of " + describeBytes(maxBytes)
                + (limitName == null ? "" : " (raise it with " + limitName + ")"), size, maxBytes);
    }

    /**
     * A byte count for people: {@code 64 MiB}, {@code 1.5 GiB}, {@code 812 bytes}; exact bytes are added where the
     * rounding would hide the difference between a file and its cap.
     */
    public static String describeBytes(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (bytes < 1024) {
            return bytes + (bytes == 1 ? " byte" : " bytes");
        }
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        String text = v == Math.rint(v) ? String.format(Locale.ROOT, "%d %s", (long) v, units[u])
                : String.format(Locale.ROOT, "%.1f %s (%d bytes)", v, units[u], bytes);
        return text;
    }

    /**
     * A size as users type it: {@code 64MB}, {@code 512KB}, {@code 2G} or a number of bytes; binary units (1 KB =
     * 1024 bytes), as {@code graft serve --max-body} reads them.
     *
     * @throws IllegalArgumentException if it is not such a size, or not between 1 byte and {@link #MAX_CAP}
     */
    public static long parseSize(String text) {
        Objects.requireNonNull(text, "text");
        String t = text.trim().toUpperCase(Locale.ROOT).replace(" ", "");
        long unit = 1;
        String digits = t;
        String[][] units = {{"KIB", "1024"}, {"MIB", "1048576"}, {"GIB", "1073741824"}, {"KB", "1024"},
            {"MB", "1048576"}, {"GB", "1073741824"}, {"K", "1024"}, {"M", "1048576"}, {"G", "1073741824"}, {"B", "1"}};
        for (String[] u : units) {
            if (t.endsWith(u[0])) {
                unit = Long.parseLong(u[1]);
                digits = t.substring(0, t.length() - u[0].length());
                break;
            }
        }
        try {
            long n = Long.parseLong(digits);
            if (n > 0 && n <= MAX_CAP / unit) {
                return n * unit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("a size like 64MB, 512KB or 1048576, from 1 byte to 2GB, not '" + text + "'");
    }

    /** A one-line reason for a failed read, without the exception class names a user has no use for. */
    public static String reason(IOException e) {
        if (e instanceof FileRefusedException) {
            return e.getMessage();
        }
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return OutputFile.reason(e);
    }

    /** What {@code file} is, in words ("a regular file", "a character device", "a FIFO"), following links. */
    public static String kind(Path file) {
        try {
            return OutputFile.kind(file.toRealPath());
        } catch (IOException | SecurityException e) {
            return OutputFile.kind(file);
        }
    }

    private static void checkCap(long maxBytes) {
        if (maxBytes < 1 || maxBytes > MAX_CAP) {
            throw new IllegalArgumentException("the byte cap must be from 1 to " + MAX_CAP + ", not " + maxBytes);
        }
    }
}
