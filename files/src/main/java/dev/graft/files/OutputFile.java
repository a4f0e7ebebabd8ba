package dev.graft.files;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * A file the user named for a command to write ({@code --out}, {@code --report}, {@code --plot}), written so that the
 * name only ever holds the previous file or the complete new one, and so that nothing but a regular file of the
 * user's is ever replaced.
 *
 * <p>The rules, each refused with one line in a {@link FileRefusedException}:
 * <ul>
 *   <li>The target must be missing or a regular file. A device node, FIFO, socket or directory is never replaced:
 *       renaming a temporary over {@code /dev/sda} or a FIFO a pipeline reads from would silently swap a system object
 *       for a file.</li>
 *   <li>A symbolic link is refused, whether its target exists or not. Replacing the link would break whatever shares
 *       it; writing through it would overwrite a file the user did not name on this command line (a {@code latest.onnx}
 *       link to last week's model). The user names the real file instead.</li>
 *   <li>The target must not be one of the command's inputs, compared by file identity (device and inode, as
 *       {@link Files#isSameFile} does), so a hard link, a symbolic link or another spelling of the same path is
 *       caught as surely as the same text: a {@code --out} naming the {@code --weights} file would otherwise destroy the
 *       trained weights the export reads.</li>
 *   <li>An existing target must be writable: a file made read-only is one its owner meant to keep.</li>
 * </ul>
 *
 * <p>Writing: a hidden temporary {@code .<name>.<hex>.tmp} in the target's own folder (so the rename cannot cross
 * file systems), created new with the umask's permissions (not {@link Files#createTempFile}'s owner-only ones, which
 * the rename would carry over), flushed to disk, the target re-checked, then renamed over the target atomically and
 * the folder flushed. On any failure the temporary is removed and the target is untouched.
 *
 * <p>Stale temporaries: a writer holds an exclusive lock on its temporary while it works, and the operating system
 * drops that lock when the process dies, even by {@code kill -9}. Before each write, temporaries of this naming pattern
 * for the same target that no process holds and that have not changed for {@link #STALE_AFTER} are deleted; a
 * concurrent run's temporary is held, so it is never touched. Where the file system has no locks, only temporaries
 * unchanged for {@link #STALE_AFTER_WITHOUT_LOCKS} are deleted.
 *
 * <p>Thread-safe: instances are immutable, and concurrent writes to one target each complete or fail on their own (the
 * last rename wins).
 */
public final class OutputFile {
    /** How long a temporary no process holds must have been left unchanged before it counts as a killed writer's. */
    public static final Duration STALE_AFTER = Duration.ofMinutes(1);
    /** The same where the file system cannot lock files, so whether its writer lives cannot be asked. */
    public static final Duration STALE_AFTER_WITHOUT_LOCKS = Duration.ofHours(1);


    private final Path target;
    private final Path absolute;
    private final Path directory;
    private final String what;
    private final List<Path> inputs;

    /** Writes the content into the temporary's channel; the channel is flushed and closed by {@link OutputFile}. */
    @FunctionalInterface
    public interface ChannelContent {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Writes the content to a buffered stream; the stream is flushed and closed by {@link OutputFile}. */
    @FunctionalInterface
    public interface StreamContent {
        void writeTo(OutputStream out) throws IOException;
    }

    private OutputFile(Path target, String what, List<Path> inputs) {
        this.target = target;
        this.absolute = target.toAbsolutePath();
        this.directory = absolute.getParent();
        this.what = what;
        this.inputs = inputs;
    }

    /**
     * Checks {@code target} against the rules above now, before any long work, and returns the file to write later.
     *
     * @param target the path as the user gave it (messages quote it as given)
     * @param what how messages name the content, e.g. {@code "the ONNX model"}
     * @param inputs every file the command reads that must survive it (null entries and missing files are ignored)
     * @throws FileRefusedException if the target breaks a rule or its directory is missing or unwritable
     */
    public static OutputFile of(Path target, String what, Path... inputs) throws FileRefusedException {
        return of(target, what, Arrays.asList(inputs));
    }

    /** {@link #of(Path, String, Path...)} with the inputs in a collection. */
    public static OutputFile of(Path target, String what, Collection<Path> inputs) throws FileRefusedException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(what, "what");
        List<Path> in = new ArrayList<>();
        for (Path p : inputs) {
            if (p != null) {
                in.add(p);
            }
        }
        OutputFile file = new OutputFile(target, what, List.copyOf(in));
        file.check();
        return file;
    }

    /** The target as the user named it. */
    public Path path() {
        return target;
    }

    /**
     * Checks the rules again (they are checked once more just before the rename, as the file system may have changed
     * since {@link #of}).
     *
     * @throws FileRefusedException if a rule is broken
     */
    public void check() throws FileRefusedException {
        if (directory == null || absolute.getFileName() == null) {
            throw refused("not a file path");
        }
        if (!Files.isDirectory(directory)) {
            throw refused("directory " + directory + (Files.exists(directory) ? " is not a directory" : " does not exist"));
        }
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(absolute, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            attributes = null;
        } catch (IOException e) {
            throw refused("cannot look at it (" + reason(e) + ")");
        }
        if (attributes != null) {
            if (attributes.isSymbolicLink()) {
                throw refused("it is a symbolic link" + linkTarget() + "; Graft neither replaces links nor writes"
                        + " through them: name the file itself");
            }
            if (attributes.isDirectory()) {
                throw refused("it is a directory; name a file");
            }
            if (!attributes.isRegularFile()) {
                throw refused("it is " + kind(absolute) + ", not a regular file; Graft only replaces regular files");
            }
            for (Path input : inputs) {
                if (sameFile(absolute, input)) {
                    throw refused("it is the same file as the input " + input + ", which writing would destroy;"
                            + " choose another name");
                }
            }
            if (!Files.isWritable(absolute)) {
                throw refused("it is read-only; make it writable or choose another name");
            }
        }
        if (!Files.isWritable(directory)) {
            throw refused("permission denied: cannot create files in " + directory);
        }
    }

    /**
     * Writes the file: the content goes into a temporary beside the target, which replaces the target only once it is
     * complete and on disk.
     *
     * @throws FileRefusedException if the target breaks a rule by now
     * @throws IOException with a one-line message naming the target if the write fails; the target is untouched
     *     (runtime exceptions and errors from {@code content} pass through unchanged, with the same clean-up)
     */
    public void write(ChannelContent content) throws IOException {
        Objects.requireNonNull(content, "content");
        check();
        try (TemporaryFile temp = TemporaryFile.beside(absolute)) {
            content.writeTo(temp.channel());
            check();
            // renamed while the lock is still held, so no other process's clean-up can take the file first
            temp.commit();
        } catch (FileRefusedException e) {
            throw e;
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(prefix() + "the file system cannot replace files atomically", e);
        } catch (IOException e) {
            throw new IOException(prefix() + reason(e), e);
        }
    }

    /** {@link #write(ChannelContent)} through a buffered stream. */
    public void writeStream(StreamContent content) throws IOException {
        Objects.requireNonNull(content, "content");
        write(channel -> {
            // not closed here: closing the stream would close the channel before it is flushed to disk
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
            content.writeTo(out);
            out.flush();
        });
    }

    /** {@link #write(ChannelContent)} of a byte array. */
    public void writeBytes(byte[] bytes) throws IOException {
        Objects.requireNonNull(bytes, "bytes");
        write(channel -> {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        });
    }

    /** {@link #write(ChannelContent)} of text in UTF-8. */
    public void writeString(String text) throws IOException {
        writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Deletes the temporaries that killed writers of {@code target} left beside it ({@code .<name>.<hex>.tmp}, held by
     * no process and unchanged for {@link #STALE_AFTER}). {@link #write} calls it; a writer with its own temporaries of
     * this pattern may call it too. Never fails: a temporary that cannot be examined or deleted is left alone.
     *
     * @return how many were deleted
     */
    public static int removeStaleTemporaries(Path target) {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || absolute.getFileName() == null) {
            return 0;
        }
        String name = absolute.getFileName().toString();
        int removed = 0;
        try (DirectoryStream<Path> candidates = Files.newDirectoryStream(dir,
                p -> isTemporaryOf(p.getFileName().toString(), name))) {
            for (Path candidate : candidates) {
                if (!TemporaryFile.OPEN.contains(candidate) && removeIfStale(candidate)) {
                    removed++;
                }
            }
        } catch (IOException | DirectoryIteratorException | SecurityException e) {
            // a folder that cannot be listed holds nothing this process may clean
        }
        return removed;
    }

    /** Whether {@code fileName} is a temporary of this class's pattern for a target named {@code targetName}. */
    public static boolean isTemporaryOf(String fileName, String targetName) {
        String prefix = TemporaryFile.prefix(targetName);
        if (fileName.length() <= prefix.length() + ".tmp".length() || !fileName.startsWith(prefix)
                || !fileName.endsWith(".tmp")) {
            return false;
        }
        String hex = fileName.substring(prefix.length(), fileName.length() - ".tmp".length());
        if (hex.isEmpty() || hex.length() > 16) {
            return false;
        }
        for (int i = 0; i < hex.length(); i++) {
            if (Character.digit(hex.charAt(i), 16) < 0 || Character.isUpperCase(hex.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean removeIfStale(Path temp) {
        try {
            BasicFileAttributes a = Files.readAttributes(temp, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return false;
            }
            Duration unchanged = Duration.between(a.lastModifiedTime().toInstant(), Instant.now());
            if (unchanged.compareTo(STALE_AFTER) < 0) {
                return false;
            }
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                boolean free;
                try {
                    free = channel.tryLock() != null; // released when the channel closes
                } catch (OverlappingFileLockException e) {
                    free = false; // this process holds it
                } catch (IOException e) {
                    free = unchanged.compareTo(STALE_AFTER_WITHOUT_LOCKS) >= 0; // no locks on this file system
                }
                if (!free) {
                    return false;
                }
                Files.delete(temp);
                return true;
            }
        } catch (IOException | SecurityException e) {
            return false; // gone already, or someone else's to keep
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private String linkTarget() {
        try {
            return " (to " + Files.readSymbolicLink(absolute) + ")";
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return "";
        }
    }

    /**
     * What kind of file system object {@code path} is, in words ("a character device", "a FIFO"), without following
     * a final symbolic link.
     */
    public static String kind(Path path) {
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                return "a symbolic link";
            }
            if (a.isDirectory()) {
                return "a directory";
            }
            if (a.isRegularFile()) {
                return "a regular file";
            }
        } catch (IOException | SecurityException e) {
            return "not a file that can be examined";
        }
        try {
            Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (mode instanceof Integer m) {
                switch (m & 0170000) {
                    case 0010000: return "a FIFO (named pipe)";
                    case 0020000: return "a character device";
                    case 0060000: return "a block device";
                    case 0140000: return "a socket";
                    default: break;
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            // no unix view on this platform: the general words below
        }
        return "a special file";
    }

    private FileRefusedException refused(String why) {
        return new FileRefusedException(prefix() + why);
    }

    private String prefix() {
        return "cannot write " + what + " to " + target + ": ";
    }

    static String reason(Exception e) {
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
