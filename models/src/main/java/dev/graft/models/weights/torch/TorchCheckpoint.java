package dev.graft.models.weights.torch;

import dev.graft.models.GraftException;
import java.io.EOFException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A file written by {@code torch.save}, read without Python: the model's tensors by name and what was learnt about the
 * file.
 *
 * <p>Both layouts are read: the zip archive PyTorch writes since 1.6 ({@code <top>/data.pkl} and one uncompressed
 * entry per storage under {@code <top>/data/}), and the older single stream ({@code _use_new_zipfile_serialization=False}:
 * a magic number, protocol and system-information pickles, the object pickle, the sorted storage keys, then each
 * storage as an element count and its bytes). TorchScript archives ({@code torch.jit.save}) hold programs rather than
 * weights and are refused. See {@link #metadata()} for the keys it reports.
 */
public final class TorchCheckpoint {
    /** The magic number the legacy format starts with (a pickled Python int). */
    static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    static final long LEGACY_PROTOCOL = 1001;
    /** The object pickle of a checkpoint is small (names and shapes); more than this is not a checkpoint. */
    static final long MAX_PICKLE_BYTES = 512L << 20;
    static final long COPY_ALLOWANCE_BYTES = 256L << 20;

    private final LinkedHashMap<String, RawTensor> tensors;
    private final Map<String, String> metadata;

    private TorchCheckpoint(LinkedHashMap<String, RawTensor> tensors, Map<String, String> metadata) {
        this.tensors = tensors;
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** The model's tensors by name, in the order PyTorch's {@code state_dict()} lists them; a fresh map. */
    public LinkedHashMap<String, RawTensor> tensors() {
        return new LinkedHashMap<>(tensors);
    }

    /**
     * What was learnt about the file, all as strings.
     * <ul>
     * <li>{@code source.format}: {@code torch-zip} or {@code torch-legacy};</li>
     * <li>{@code source.pickle.protocol}: the pickle protocol of the object pickle;</li>
     * <li>{@code source.content}: {@code state-dict}, {@code module} (a pickled {@code nn.Module}) or
     * {@code fastai-export} (a Learner from {@code learn.export()});</li>
     * <li>{@code source.class}: for a pickled module, its class ({@code torchvision.models.resnet.ResNet});</li>
     * <li>{@code source.wrapper}: the key the state dict was found under ({@code state_dict}, {@code model_state_dict},
     * or {@code model} as in fastai's {@code learn.save}), absent when the file is the state dict itself;</li>
     * <li>{@code source.prefix}: the prefix stripped from every key ({@code module.}, {@code _orig_mod.}), if any;</li>
     * <li>for {@code fastai-export}: {@code fastai.vocab}, the class labels as a JSON array of strings, and
     * {@code fastai.normalize.mean} / {@code fastai.normalize.std}, JSON arrays of numbers, when found.</li>
     * </ul>
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Whether {@code head} (the first bytes of a file) starts a legacy {@code torch.save} stream. */
    public static boolean looksLegacy(ByteBuffer head) {
        // a pickle's PROTO 2..5; the magic number that follows is checked when reading
        if (head.remaining() < 2) {
            return false;
        }
        int protocol = head.get(head.position() + 1) & 0xff;
        return (head.get(head.position()) & 0xff) == 0x80 && protocol >= 2 && protocol <= 5;
    }

    /**
     * Reads a {@code torch.save} file (either layout, told apart by content).
     *
     * @throws GraftException with a one-line message naming the file if it cannot be read, is not a checkpoint, or
     *     asks for anything a checkpoint does not need
     */
    public static TorchCheckpoint read(Path path) {
        String source = path.toString();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer head = ZipArchive.read(channel, 0, (int) Math.min(size, 4));
            if (size >= 4 && head.getInt(0) == 0x04034b50) {
                return readZip(source, channel);
            }
            return readLegacy(source, channel);
        } catch (NoSuchFileException e) {
            throw new GraftException("cannot read " + source + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new GraftException("cannot read " + source + ": permission denied", e);
        } catch (EOFException e) {
            throw new GraftException("cannot read " + source + ": truncated", e);
        } catch (IOException e) {
            throw new GraftException("cannot read " + source + ": " + e.getMessage(), e);
        } catch (java.io.UncheckedIOException e) {
            throw new GraftException("cannot read " + source + ": " + e.getCause().getMessage(), e);
        } catch (StackOverflowError | OutOfMemoryError e) {
            throw new GraftException("cannot read " + source + ": it is too large or too deeply nested to be a checkpoint");
        }
    }

    // ---- zip ------------------------------------------------------------------------------------------------

    private static TorchCheckpoint readZip(String source, FileChannel channel) throws IOException {
        ZipArchive zip = ZipArchive.read(source, channel);
        Map<String, ZipArchive.Entry> entries = zip.entries();
        String top = null;
        for (String name : entries.keySet()) {
            int slash = name.indexOf('/');
            String first = slash < 0 ? "" : name.substring(0, slash + 1);
            if (first.isEmpty() || (top != null && !top.equals(first))) {
                throw PickleMachine.fail(source, "it is a zip file, but not one torch.save wrote"
                        + " (its entries do not share one top-level folder)");
            }
            top = first;
        }
        if (top == null) {
            throw PickleMachine.fail(source, "it is an empty zip file");
        }
        for (String name : entries.keySet()) {
            if (name.equals(top + "constants.pkl") || name.startsWith(top + "code/")) {
                throw PickleMachine.fail(source, "it is a TorchScript archive (torch.jit.save), which holds a program,"
                        + " not weights; save the weights with torch.save(model.state_dict(), 'weights.pth')");
            }
        }
        ZipArchive.Entry pickle = entries.get(top + "data.pkl");
        if (pickle == null) {
            throw PickleMachine.fail(source, "it is a zip file without " + top + "data.pkl, so not a torch.save file");
        }
        for (ZipArchive.Entry e : entries.values()) {
            if (e.method() != 0 && (e.name().equals(pickle.name()) || e.name().startsWith(top + "data/"))) {
                throw PickleMachine.fail(source, "zip entry '" + e.name() + "' is compressed; torch.save stores entries"
                        + " uncompressed (was the file re-zipped?)");
            }
        }
        ZipArchive.Entry byteorder = entries.get(top + "byteorder");
        if (byteorder != null) {
            String order = new String(ZipArchive.read(channel, byteorder.dataOffset(),
                    (int) Math.min(byteorder.size(), 16)).array(), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) {
                throw PickleMachine.fail(source, "its storages are stored " + order
                        + "-endian; Graft reads little-endian checkpoints only");
            }
        }
        if (pickle.size() > MAX_PICKLE_BYTES) {
            throw PickleMachine.fail(source, "its data.pkl is " + pickle.size() + " bytes, too large for a checkpoint");
        }
        Mapping mapping = new Mapping(channel);
        ByteBuffer pickleBytes = ZipArchive.read(channel, pickle.dataOffset(), (int) pickle.size());
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(pickleBytes.duplicate());
        if ((int) crc.getValue() != pickle.crc()) {
            // storages are not checked (that would read every byte at open); the pickle is small and says where they are
            throw PickleMachine.fail(source, "its " + pickle.name() + " is corrupt (CRC mismatch)");
        }
        Map<String, Py.Storage> storages = new HashMap<>();
        String dataPrefix = top + "data/";
        PickleMachine machine = new PickleMachine(source, pickleBytes, pid -> {
            StorageId id = storageId(source, pid, 5);
            Py.Storage known = storages.get(id.key);
            if (known != null) {
                if (known.type != id.type || known.numel != id.numel) {
                    throw PickleMachine.fail(source, "storage '" + id.key + "' is named twice with different types or sizes");
                }
                return known;
            }
            ZipArchive.Entry entry = entries.get(dataPrefix + id.key);
            if (entry == null) {
                throw PickleMachine.fail(source, "storage '" + id.key + "' has no entry " + dataPrefix + id.key);
            }
            long bytes = storageBytes(source, id);
            if (entry.size() != bytes) {
                throw PickleMachine.fail(source, "storage '" + id.key + "' claims " + id.numel + " elements ("
                        + bytes + " bytes) but its entry holds " + entry.size() + " bytes");
            }
            Py.Storage storage = new Py.Storage(id.key, id.type, id.numel);
            storage.data = mapping.slice(entry.dataOffset(), bytes);
            storages.put(id.key, storage);
            return storage;
        });
        Object root = machine.load();
        if (machine.position() != pickleBytes.limit()) {
            throw PickleMachine.fail(source, "its data.pkl has bytes after the end of its pickle");
        }
        return finish(source, root, machine, "torch-zip", channel.size());
    }

    // ---- legacy -----------------------------------------------------------------------------------------------

    private static TorchCheckpoint readLegacy(String source, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size > Integer.MAX_VALUE) {
            throw PickleMachine.fail(source, "legacy (pre-1.6) checkpoints over 2 GiB are not supported;"
                    + " re-save it with a current PyTorch");
        }
        ByteBuffer head = ZipArchive.read(channel, 0, (int) Math.min(size, 3));
        if (!looksLegacy(head)) {
            throw PickleMachine.fail(source, "it is neither a safetensors file nor a torch.save checkpoint");
        }
        MappedByteBuffer file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        file.order(ByteOrder.LITTLE_ENDIAN);
        PickleMachine magic = new PickleMachine(source, file, noStorages(source));
        if (!LEGACY_MAGIC.equals(asBig(magic.load()))) {
            throw PickleMachine.fail(source, "it is a pickle, but not a torch.save checkpoint (no magic number)");
        }
        PickleMachine protocol = new PickleMachine(source, file.position(magic.position()), noStorages(source));
        Object version = protocol.load();
        if (!Long.valueOf(LEGACY_PROTOCOL).equals(version)) {
            throw PickleMachine.fail(source, "its legacy format version is "
                    + (version instanceof Long ? version : Py.describe(version)) + ", not " + LEGACY_PROTOCOL);
        }
        PickleMachine sysInfo = new PickleMachine(source, file.position(protocol.position()), noStorages(source));
        Object info = sysInfo.load();
        if (info instanceof Py.Dict d && Boolean.FALSE.equals(d.items.get("little_endian"))) {
            throw PickleMachine.fail(source, "it was written on a big-endian machine; Graft reads little-endian"
                    + " checkpoints only");
        }
        Map<String, Py.Storage> storages = new LinkedHashMap<>();
        PickleMachine objects = new PickleMachine(source, file.position(sysInfo.position()), pid -> {
            if (pid instanceof Py.Tuple t && t.size() == 4 && "module".equals(t.get(0))
                    && t.get(1) instanceof Py.Global cls) {
                // ('module', class, source file, source code): a whole model's class, kept as its name only
                return cls;
            }
            StorageId id = storageId(source, pid, 6);
            Py.Storage known = storages.get(id.key);
            if (known != null) {
                if (known.type != id.type || known.numel != id.numel) {
                    throw PickleMachine.fail(source, "storage '" + id.key + "' is named twice with different types or sizes");
                }
                return known;
            }
            storageBytes(source, id);
            Py.Storage storage = new Py.Storage(id.key, id.type, id.numel);
            storages.put(id.key, storage);
            return storage;
        });
        Object root = objects.load();
        PickleMachine keysMachine = new PickleMachine(source, file.position(objects.position()), noStorages(source));
        Object keys = keysMachine.load();
        if (!(keys instanceof List<?> keyList)) {
            throw PickleMachine.fail(source, "its storage key list is " + Py.describe(keys));
        }
        long at = keysMachine.position();
        java.util.Set<String> bound = new java.util.HashSet<>();
        for (Object key : keyList) {
            Py.Storage storage = key instanceof String k ? storages.get(k) : null;
            if (storage == null || !bound.add(storage.key)) {
                throw PickleMachine.fail(source, "its storage key list names " + (key instanceof String k ? "'" + k + "'"
                        : Py.describe(key)) + ", which is " + (storage == null ? "unknown" : "listed twice"));
            }
            if (at + 8 > size) {
                throw PickleMachine.fail(source, "truncated: storage '" + storage.key + "' is missing");
            }
            long count = file.getLong((int) at);
            if (count != storage.numel) {
                throw PickleMachine.fail(source, "storage '" + storage.key + "' holds " + count + " elements on disk but "
                        + storage.numel + " in its pickle");
            }
            long bytes = count * storage.type.elementSize();
            if (at + 8 + bytes > size) {
                throw PickleMachine.fail(source, "truncated: storage '" + storage.key + "' runs past the end of the file");
            }
            storage.data = file.slice((int) at + 8, (int) bytes).asReadOnlyBuffer();
            at += 8 + bytes;
        }
        if (bound.size() != storages.size()) {
            throw PickleMachine.fail(source, "its pickle names storages that the file does not hold");
        }
        return finish(source, root, objects, "torch-legacy", size);
    }

    private static java.util.function.Function<Object, Object> noStorages(String source) {
        return pid -> {
            throw PickleMachine.fail(source, "a storage appears where a checkpoint has none");
        };
    }

    private static BigInteger asBig(Object value) {
        return value instanceof BigInteger b ? b : value instanceof Long l ? BigInteger.valueOf(l) : null;
    }

    // ---- shared -----------------------------------------------------------------------------------------------

    private record StorageId(String key, ScalarType type, long numel) {
    }

    /** {@code ('storage', torch.<X>Storage, key, location, numel[, view_metadata])}, checked. */
    private static StorageId storageId(String source, Object pid, int fields) {
        if (!(pid instanceof Py.Tuple t) || t.size() != fields || !"storage".equals(t.get(0))) {
            throw PickleMachine.fail(source, "a persistent id is " + Py.describe(pid) + ", not a storage reference");
        }
        if (!(t.get(1) instanceof Py.Global g) || !g.module().equals("torch")) {
            throw PickleMachine.fail(source, "a storage has type " + Py.describe(t.get(1)));
        }
        ScalarType type = ScalarType.ofStorage(g.name());
        if (type == null) {
            throw PickleMachine.fail(source, "storage type " + g + " is not supported (Graft reads float, double, half,"
                    + " bfloat16, int64, int32, int16, int8, uint8 and bool)");
        }
        if (!(t.get(2) instanceof String key) || key.isEmpty() || key.length() > 200 || key.contains("/")
                || key.contains("\\") || key.equals("..") || key.equals(".")) {
            throw PickleMachine.fail(source, "a storage has a key that is not a plain name");
        }
        if (!(t.get(4) instanceof Long numel) || numel < 0) {
            throw PickleMachine.fail(source, "storage '" + key + "' has an element count that is not a count");
        }
        if (fields == 6 && t.get(5) != null) {
            throw PickleMachine.fail(source, "storage '" + key + "' is a view of another storage, which only PyTorch"
                    + " before 0.4 wrote; re-save it with a current PyTorch");
        }
        return new StorageId(key, type, numel);
    }

    private static long storageBytes(String source, StorageId id) {
        try {
            long bytes = Math.multiplyExact(id.numel, (long) id.type.elementSize());
            if (bytes > Integer.MAX_VALUE) {
                throw PickleMachine.fail(source, "storage '" + id.key + "' claims " + id.numel + " elements ("
                        + bytes + " bytes); Graft reads storages of at most 2 GiB");
            }
            return bytes;
        } catch (ArithmeticException e) {
            throw PickleMachine.fail(source, "storage '" + id.key + "' claims " + id.numel + " elements, which overflows");
        }
    }

    private static TorchCheckpoint finish(String source, Object root, PickleMachine machine, String format,
            long fileSize) {
        Contents.Found found = Contents.find(source, root, machine.foreignGlobals());
        LinkedHashMap<String, RawTensor> tensors = new LinkedHashMap<>();
        long[] allowance = {fileSize + COPY_ALLOWANCE_BYTES};
        for (Map.Entry<String, Py.TensorRef> e : found.tensors().entrySet()) {
            Py.TensorRef t = e.getValue();
            tensors.put(e.getKey(), new RawTensor(t.storage().type, t.size().clone(),
                    Materialiser.contiguous(source, t, allowance)));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("source.format", format);
        metadata.put("source.pickle.protocol", Integer.toString(machine.protocol()));
        metadata.putAll(found.metadata());
        return new TorchCheckpoint(tensors, metadata);
    }

    /**
     * Read-only mappings of the file: one for the whole file when it fits a buffer (2 GiB), otherwise one per storage.
     */
    private static final class Mapping {
        private final FileChannel channel;
        private final MappedByteBuffer whole;

        Mapping(FileChannel channel) throws IOException {
            this.channel = channel;
            long size = channel.size();
            this.whole = size <= Integer.MAX_VALUE ? channel.map(FileChannel.MapMode.READ_ONLY, 0, size) : null;
        }

        ByteBuffer slice(long offset, long length) {
            if (whole != null) {
                return whole.slice((int) offset, (int) length).asReadOnlyBuffer();
            }
            try {
                return channel.map(FileChannel.MapMode.READ_ONLY, offset, length).asReadOnlyBuffer();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
