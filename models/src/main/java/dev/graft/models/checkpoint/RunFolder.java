package dev.graft.models.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.GraftException;
import dev.graft.models.spec.NetworkJson;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A run folder on disk, and the one way a checkpoint enters it: a commit that is atomic as a whole.
 *
 * <p><b>Layout.</b> {@code checkpoint.json} is the commit record: the task, labels, preprocessing, history and
 * training state of the current checkpoint, the name of its <em>generation</em> folder ({@code epoch-0003} after
 * three epochs) and the sha256 of every file in it. The generation holds {@code weights.safetensors},
 * {@code network.json} and, for a run that can resume, {@code training-state.safetensors} (the optimiser's moments).
 * {@code .lock} keeps a second writer out. Folders written before generations existed (the three files side by side,
 * no {@code generation} in the record) are still read.
 *
 * <p><b>Commit.</b> Every file of the new checkpoint is written and synced into a fresh hidden folder
 * ({@code .epoch-0003.<hex>.tmp}), which is renamed to its generation name; then the new record is written to a
 * temporary name, synced, and renamed over {@code checkpoint.json}. That rename is the commit: before it readers see
 * the previous checkpoint whole, after it the new one. Only then are older generations and stale temporaries
 * removed. A kill at any instant therefore leaves the last committed checkpoint readable; what a killed commit left
 * behind is removed by the next writer, which only ever deletes names that match its own patterns.
 *
 * <p><b>Readers</b> follow the record; every file is checked against its recorded hash, and a generation collected
 * by a writer between reading the record and opening the files is retried from the new record.
 *
 * <p>Open one with {@link #open} for writing (it holds the lock until closed); reading needs no instance.
 */
public final class RunFolder implements AutoCloseable {
    /** The optimiser's and schedule's arrays of a resumable run, inside the generation. */
    public static final String STATE_FILE = "training-state.safetensors";
    /** Held by the one process writing the folder. */
    public static final String LOCK_FILE = ".lock";
    /**
     * Test hook: {@code -Dgraft.checkpoint.haltAfter=S} (or {@code E:S}, only in the commit of the checkpoint after
     * {@code E} epochs) halts the JVM at once, as a kill would, right after step {@code S} of a commit: 1 temporary
     * generation created, 2 weights written, 3 network written, 4 training state written, 5 generation renamed into
     * place, 6 new record written to its temporary name, 7 record renamed (committed), 8 older generations removed.
     */
    public static final String HALT_PROPERTY = "graft.checkpoint.haltAfter";
    /** The exit status of a halt by {@link #HALT_PROPERTY}. */
    public static final int HALT_STATUS = 86;

    private static final Pattern GENERATION = Pattern.compile("epoch-\\d{4,9}(-[0-9a-f]{8})?");
    private static final Pattern GENERATION_TEMP = Pattern.compile("\\.epoch-\\d{4,9}\\.[0-9a-f]{1,16}\\.tmp");
    /** Temporaries of this class, of {@link SafeTensors#write}, of older Graft versions, and of the writable probe. */
    private static final Pattern FILE_TEMP = Pattern.compile("\\.(weights\\.safetensors|training-state\\.safetensors"
        + "|network\\.json|checkpoint\\.json|graft-probe)\\.([0-9a-f]{1,16}\\.tmp|tmp-\\d{1,10})");
    private static final Set<String> GENERATION_FILES =
        Set.of(Checkpoint.WEIGHTS_FILE, Checkpoint.NETWORK_FILE, STATE_FILE);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private RunFolder(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens {@code dir} for writing: creates it if needed, takes its lock (one line if another process holds it), and
     * removes what a killed commit left behind.
     */
    public static RunFolder open(Path dir) {
        checkWritable(dir);
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new GraftException("another process is writing checkpoints to " + dir
                    + " (it holds " + dir.resolve(LOCK_FILE) + "); wait for it or choose another folder");
            }
            RunFolder folder = new RunFolder(dir, channel, lock);
            folder.collect();
            return folder;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new GraftException("cannot write run folder " + dir + ": " + reason(e), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /**
     * Fails with one line unless a run folder can be created or written at {@code dir}, changing nothing: an
     * existing folder gets a probe file that is removed at once; a missing one has its first missing level created
     * and removed.
     */
    public static void checkWritable(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new GraftException("cannot write run folder " + dir + ": no part of the path exists");
        }
        if (!Files.isDirectory(existing)) {
            throw new GraftException("cannot write run folder " + dir + ": " + (existing.equals(abs) ? "it"
                : existing.toString()) + " is not a folder");
        }
        try {
            if (existing.equals(abs)) {
                Path probe = abs.resolve(".graft-probe." + hex() + ".tmp");
                Files.createFile(probe);
                Files.delete(probe);
            } else {
                Path first = existing.resolve(abs.getName(existing.getNameCount()));
                Files.createDirectory(first);
                Files.delete(first);
            }
        } catch (IOException e) {
            throw new GraftException("cannot write run folder " + dir + ": " + reason(e), e);
        }
    }

    /** The folder this instance writes. */
    public Path dir() {
        return dir;
    }

    /**
     * Commits {@code checkpoint} (and {@code state}, null for none) as the folder's current checkpoint; see the class
     * comment for the steps. On failure the previous checkpoint is still the current one.
     */
    public void commit(Checkpoint checkpoint, TrainingState state) {
        String halt = System.getProperty(HALT_PROPERTY);
        int epochs = checkpoint.epochsDone();
        String base = String.format(Locale.ROOT, "epoch-%04d", epochs);
        Path temp = dir.resolve("." + base + "." + hex() + ".tmp");
        try {
            String current = currentGeneration(dir);
            Files.createDirectory(temp);
            step(halt, epochs, 1);
            Path weights = temp.resolve(Checkpoint.WEIGHTS_FILE);
            SafeTensors.write(weights, checkpoint.orderedWeights(),
                Map.of("format", "graft", "arch", checkpoint.network().arch()));
            step(halt, epochs, 2);
            writeSynced(temp.resolve(Checkpoint.NETWORK_FILE), NetworkJson.write(checkpoint.network()));
            step(halt, epochs, 3);
            String stateHash = null;
            if (state != null) {
                Path stateFile = temp.resolve(STATE_FILE);
                SafeTensors.write(stateFile, state.tensors(), Map.of("format", "graft-training-state"));
                stateHash = Checkpoint.sha256(stateFile);
            }
            step(halt, epochs, 4);
            syncDirectory(temp);
            String name = base;
            Path generation = dir.resolve(name);
            if (name.equals(current) || (Files.exists(generation, LinkOption.NOFOLLOW_LINKS)
                    && !removeGeneration(generation))) {
                name = base + "-" + String.format(Locale.ROOT, "%08x", RANDOM.nextInt());
                generation = dir.resolve(name);
            }
            ObjectNode record = checkpoint.record(Checkpoint.sha256(weights));
            record.put("generation", name);
            record.put("network_sha256", Checkpoint.sha256(temp.resolve(Checkpoint.NETWORK_FILE)));
            if (state != null) {
                record.put("training_state_sha256", stateHash);
                record.set("training_state", state.json());
            }
            Files.move(temp, generation, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(dir);
            step(halt, epochs, 5);
            Path meta = dir.resolve(Checkpoint.META_FILE);
            Path recordTemp = writeTemp(meta, Checkpoint.MAPPER.writeValueAsString(record) + "\n");
            step(halt, epochs, 6);
            Files.move(recordTemp, meta, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(dir);
            step(halt, epochs, 7);
        } catch (IOException e) {
            throw new GraftException("cannot write checkpoint " + dir + ": " + reason(e), e);
        } finally {
            if (Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
                removeGeneration(temp);
            }
        }
        collect();
        step(halt, epochs, 8);
    }

    /** Halts the JVM after {@code step} of the commit of epoch {@code epochs} when the test hook asks for it. */
    private static void step(String halt, int epochs, int step) {
        if (halt == null) {
            return;
        }
        int colon = halt.indexOf(':');
        boolean epochMatches = colon < 0 || halt.substring(0, colon).trim().equals(String.valueOf(epochs));
        if (epochMatches && halt.substring(colon + 1).trim().equals(String.valueOf(step))) {
            System.err.println("graft: halted after step " + step + " of the commit of epoch " + epochs
                + " (" + HALT_PROPERTY + ")");
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }

    /**
     * Removes generations other than the current one, temporary generations, our own stale temporary files and, once
     * the record names a generation, the files of the older side-by-side layout. Nothing else is touched.
     */
    private void collect() {
        String current;
        try {
            current = currentGeneration(dir);
        } catch (RuntimeException e) {
            return; // an unreadable record: keep everything for the user to look at
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                boolean folder = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                if (folder && ((GENERATION.matcher(name).matches() && !name.equals(current))
                        || GENERATION_TEMP.matcher(name).matches())) {
                    removeGeneration(p);
                } else if (!folder && FILE_TEMP.matcher(name).matches()) {
                    Files.deleteIfExists(p);
                } else if (!folder && current != null && GENERATION_FILES.contains(name)) {
                    Files.deleteIfExists(p); // the side-by-side layout, superseded by a committed generation
                }
            }
        } catch (IOException e) {
            // leftovers cost disk space, not correctness; the next commit tries again
        }
    }

    /**
     * Deletes a generation folder's own files (and their temporaries), then the folder; true when it is gone. A folder
     * holding anything else is left as it is.
     */
    private static boolean removeGeneration(Path folder) {
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return false; // a link or a file of the same name is not ours to follow or delete
        }
        try {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
                for (Path p : entries) {
                    String name = p.getFileName().toString();
                    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                            && (GENERATION_FILES.contains(name) || FILE_TEMP.matcher(name).matches())) {
                        Files.delete(p);
                    }
                }
            }
            Files.delete(folder);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(lockChannel);
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    /** A committed checkpoint and its training state (null when it was written without one). */
    public record Snapshot(Checkpoint checkpoint, TrainingState state) {
    }

    /** Reads and verifies the current checkpoint of {@code dir}; every problem is one line naming the file. */
    public static Snapshot read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new GraftException("checkpoint " + dir + " does not exist (expected a folder made by graft train)");
        }
        for (int attempt = 0; ; attempt++) {
            JsonNode meta = record(dir);
            String generation = generationOf(dir, meta);
            try {
                return Checkpoint.readFrom(dir, generation == null ? dir : dir.resolve(generation), meta);
            } catch (GraftException e) {
                // a writer may have committed and collected this generation meanwhile: follow the new record
                if (attempt >= 4 || generation == null || generation.equals(generationOf(dir, record(dir)))) {
                    throw e;
                }
            }
        }
    }

    /**
     * Every file the current checkpoint in {@code dir} consists of (the record, the weights, the network and the
     * training state, whether or not each exists): what no command's output may replace.
     */
    public static java.util.List<Path> files(Path dir) {
        Path weights = weightsFile(dir);
        return java.util.List.of(dir.resolve(Checkpoint.META_FILE), weights,
            weights.resolveSibling(Checkpoint.NETWORK_FILE), weights.resolveSibling(STATE_FILE));
    }

    /** The current weights file of the checkpoint in {@code dir} (the side-by-side one for older folders). */
    public static Path weightsFile(Path dir) {
        if (!Files.isRegularFile(dir.resolve(Checkpoint.META_FILE))) {
            return dir.resolve(Checkpoint.WEIGHTS_FILE);
        }
        String generation = generationOf(dir, record(dir));
        return (generation == null ? dir : dir.resolve(generation)).resolve(Checkpoint.WEIGHTS_FILE);
    }

    private static String currentGeneration(Path dir) {
        if (!Files.isRegularFile(dir.resolve(Checkpoint.META_FILE))) {
            return null;
        }
        return generationOf(dir, record(dir));
    }

    private static JsonNode record(Path dir) {
        Path meta = dir.resolve(Checkpoint.META_FILE);
        try {
            JsonNode node = Checkpoint.MAPPER.readTree(Checkpoint.readText(meta));
            if (node == null || !Checkpoint.FORMAT.equals(node.path("format").asText())) {
                throw new GraftException(meta + " is not a Graft checkpoint");
            }
            return node;
        } catch (IOException e) {
            throw new GraftException("cannot read checkpoint " + dir + ": " + reason(e), e);
        }
    }

    /** The record's generation, checked to be one of our names (a record cannot point outside its folder). */
    private static String generationOf(Path dir, JsonNode meta) {
        JsonNode g = meta.get("generation");
        if (g == null || g.isNull()) {
            return null;
        }
        String name = g.asText();
        if (!GENERATION.matcher(name).matches()) {
            throw new GraftException(dir.resolve(Checkpoint.META_FILE) + " names an invalid generation '" + name + "'");
        }
        return name;
    }

    /** Reads the training state file of a generation, verified against the record's hash. */
    static TrainingState readState(Path generation, JsonNode meta) {
        JsonNode json = meta.get("training_state");
        if (!(json instanceof ObjectNode o)) {
            return null;
        }
        Path file = generation.resolve(STATE_FILE);
        String recorded = meta.path("training_state_sha256").asText();
        if (!recorded.equals(Checkpoint.sha256(file))) {
            throw new GraftException(file + " does not match its checkpoint.json (sha256 differs)");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (TensorFile f = SafeTensors.open(file)) {
            f.all().forEach((k, v) -> tensors.put(k, Tensor.of(v.dtype(), v.shape(), v.data()))); // copied out of the mapping
        }
        return new TrainingState(o, tensors);
    }

    // ---- files ------------------------------------------------------------------------------------------------

    /** Writes {@code text} to a synced temporary sibling and renames it over {@code target}. */
    static void writeSynced(Path target, String text) throws IOException {
        Path temp = writeTemp(target, text);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A new hidden sibling {@code .<name>.<hex>.tmp} holding {@code text}, synced to disk. */
    private static Path writeTemp(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int attempt = 0; ; attempt++) {
            Path temp = target.resolveSibling("." + target.getFileName() + "." + hex() + ".tmp");
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            } catch (IOException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
        }
    }

    /** Makes renames in {@code directory} durable where the platform can sync a folder (not on Windows). */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not supported here; the files themselves are synced
        }
    }

    private static String hex() {
        return Long.toHexString(RANDOM.nextLong() >>> 1);
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder: " + e.getMessage();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(Locale.ROOT);
        }
        return String.valueOf(e.getMessage());
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }
}
