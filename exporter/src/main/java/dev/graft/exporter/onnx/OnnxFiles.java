package dev.graft.exporter.onnx;

import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Reading and writing {@code .onnx} files.
 *
 * <p>An export that dies half-way (disk full, Ctrl-C, a crash in the exporter) must not leave a truncated model
 * where a deployment script will pick it up, nor destroy the previous good export. So a model is written to a
 * temporary file in the target's own directory, flushed to disk, and renamed over the target in one atomic step;
 * on any failure the temporary file is removed and the target is untouched.
 *
 * <p>Protobuf cannot serialise a message of 2 GiB or more, so neither can this class; Graft's classifiers are
 * far below that.
 */
public final class OnnxFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private OnnxFiles() {
    }

    /**
     * Writes {@code model} to {@code target}, replacing any file there, so that readers see the old file or the
     * complete new one and never anything in between. The directory must exist already.
     *
     * @throws GraftException if the directory is missing or unwritable or the write fails; nothing is left behind
     */
    public static void writeAtomically(ModelProto model, Path target) {
        Path absolute = target.toAbsolutePath();
        Path dir = checkTarget(target);
        Path temp = null;
        try {
            temp = dir.resolve("." + absolute.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
            // Opened by hand rather than with Files.createTempFile, which would make the model owner-only (0600);
            // CREATE_NEW gives the permissions of any other new file (the umask) and never reuses a stray file.
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = Channels.newOutputStream(channel)) {
                model.writeTo(out);
                out.flush();
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
        } catch (AtomicMoveNotSupportedException e) {
            throw new GraftException("cannot write the ONNX model to " + target
                    + ": the file system cannot replace files atomically", e);
        } catch (FileAlreadyExistsException e) {
            temp = null; // someone else's file: not ours to delete
            throw new GraftException("cannot write the ONNX model to " + target + ": temporary file clash, try again", e);
        } catch (IOException | SecurityException e) {
            throw new GraftException("cannot write the ONNX model to " + target + ": " + describe(e), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The write has already failed and is being reported; a stray temp file is the lesser problem.
                }
            }
        }
    }

    /**
     * Checks, before any long work, that a model could be written to {@code target}: it names a file in an existing
     * directory. Returns that directory.
     *
     * @throws GraftException if it does not
     */
    public static Path checkTarget(Path target) {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || absolute.getFileName() == null) {
            throw new GraftException("cannot write the ONNX model to " + target + ": not a file path");
        }
        if (!Files.isDirectory(dir)) {
            throw new GraftException("cannot write the ONNX model to " + target + ": directory " + dir
                    + (Files.exists(dir) ? " is not a directory" : " does not exist"));
        }
        if (Files.isDirectory(absolute)) {
            throw new GraftException("cannot write the ONNX model to " + target + ": it is a directory");
        }
        return dir;
    }

    /**
     * Reads and parses an ONNX model.
     *
     * @throws GraftException if the file cannot be read or is not an ONNX model
     */
    public static ModelProto read(Path source) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(source);
        } catch (IOException e) {
            throw new GraftException("cannot read the ONNX model " + source + ": " + describe(e), e);
        }
        try {
            return ModelProto.parseFrom(bytes);
        } catch (IOException e) {
            throw new GraftException("cannot read the ONNX model " + source + ": not a valid ONNX file", e);
        }
    }

    private static String describe(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.replaceAll("\\s+", " ").trim();
    }
}
