package dev.graft.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A hidden temporary beside a target ({@code .<name>.<hex>.tmp}), locked while it lives, renamed over the target by
 * {@link #commit()} or deleted by {@link #close()}.
 *
 * <p>{@link OutputFile} writes through one. Use it directly where another library writes the file by its path (ONNX
 * Runtime writing an optimised graph) or where the target is Graft's own (a cache entry) rather than a name the user
 * gave, so {@link OutputFile}'s checks do not apply: it still gets the same naming, the lock that marks it as alive
 * and the clean-up of stale temporaries killed processes left ({@link OutputFile#removeStaleTemporaries}).
 *
 * <p>The lock is an exclusive POSIX lock held on an open channel; the kernel drops it when the process dies, even by
 * {@code kill -9}, which is how a later clean-up tells a leftover from a live writer's file. A library writing the
 * same path opens the same file, so the lock stays on it.
 *
 * <p>Not thread-safe: one thread creates, fills and commits or closes it.
 */
public final class TemporaryFile implements AutoCloseable {
    /** Long names are cut in the temporary's name so that it stays within the usual 255-byte limit on names. */
    private static final int NAME_CHARS_IN_TEMP = 200;
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Temporaries this process has open. They are never probed for a lock: closing a second channel on a file drops
     * every POSIX lock the process holds on it, the writer's included.
     */
    static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();

    private final Path target;
    private final Path path;
    private final FileChannel channel;
    private boolean done;

    private TemporaryFile(Path target, Path path, FileChannel channel) {
        this.target = target;
        this.path = path;
        this.channel = channel;
    }

    /**
     * Removes the stale temporaries of {@code target}, then creates a new, empty, locked one in its directory, with
     * the umask's permissions (not {@link Files#createTempFile}'s owner-only ones, which the rename would carry over).
     *
     * @throws IOException if the directory is missing or unwritable
     */
    public static TemporaryFile beside(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || absolute.getFileName() == null) {
            throw new IOException(target + " is not a file path");
        }
        OutputFile.removeStaleTemporaries(absolute);
        String prefix = prefix(absolute.getFileName().toString());
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve(prefix + Long.toHexString(RANDOM.nextLong()) + ".tmp");
            FileChannel channel;
            try {
                channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
                continue; // another file of that name: not ours
            }
            OPEN.add(temp);
            try {
                channel.lock(); // released when the channel closes, or by the kernel when the process dies
            } catch (IOException | OverlappingFileLockException e) {
                // no locks on this file system: the clean-up falls back to age alone
            }
            return new TemporaryFile(absolute, temp, channel);
        }
    }

    /** Where the content goes (for a library that writes by path). */
    public Path path() {
        return path;
    }

    /** The locked channel, open for writing, for content written from Java. */
    public FileChannel channel() {
        return channel;
    }

    /**
     * Flushes the file to disk and renames it over the target atomically, the lock still held; then flushes the
     * directory. After this, {@link #close()} only releases the lock.
     *
     * @throws java.nio.file.AtomicMoveNotSupportedException if the file system cannot rename atomically
     * @throws IOException if the flush or the rename fails (the temporary then goes with {@link #close()})
     */
    public void commit() throws IOException {
        if (done) {
            throw new IllegalStateException("already committed or closed: " + path);
        }
        channel.force(true);
        Files.move(path, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        done = true;
        syncDirectory(target.getParent());
    }

    /** Deletes the temporary unless it was committed, and releases the lock. Never fails. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was committed through it, or the commit is already on disk
        }
        if (!done) {
            done = true;
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // a failure is already being reported; a stray temporary is cleaned up by the next writer
            }
        }
        OPEN.remove(path);
    }

    /** The start of the temporaries' names for a target named {@code targetName}. */
    static String prefix(String targetName) {
        String name = targetName.length() > NAME_CHARS_IN_TEMP ? targetName.substring(0, NAME_CHARS_IN_TEMP) : targetName;
        return "." + name + ".";
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform can open a directory; the rename itself is still atomic
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
