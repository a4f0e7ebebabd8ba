package dev.graft.models.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading and writing safetensors files.
 *
 * <p>Everything a file claims is checked before any tensor is handed out, because checkpoints come from elsewhere
 * (downloads, other tools, interrupted copies) and a wrong offset must become one clear message naming the file rather
 * than garbage weights or a crash deep inside training. Writing goes through a temporary file and an atomic rename, so a
 * crash, a full disk or an unreadable tensor never leaves a half-written checkpoint where a good one used to be.
 *
 * @see <a href="https://github.com/huggingface/safetensors">the safetensors format</a>
 */
public final class SafeTensors {
    /** Headers beyond this are refused as corrupt, as the reference implementation does. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The most bytes one mapping (one {@link ByteBuffer}) can span. */
    static final long MAX_REGION_BYTES = Integer.MAX_VALUE;

    private static final String METADATA_KEY = "__metadata__";
    private static final String IN_MEMORY = "in-memory safetensors data";
    private static final int WRITE_CHUNK_BYTES = 1 << 20;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SafeTensors() {}

    // ---- reading ----------------------------------------------------------------------------------------------

    /**
     * Maps {@code path} read-only and checks its header; the tensors are views onto the mapping, so nothing is copied
     * and files of any size (beyond 2 GiB too) open at once. Each tensor must itself fit in 2 GiB.
     *
     * @throws GraftException if the file cannot be read or is not a valid safetensors file
     */
    public static TensorFile open(Path path) {
        String source = path.toString();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            checkMinimumSize(source, size);
            long headerLength = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            checkHeaderLength(source, headerLength, size);
            byte[] headerBytes = readFully(channel, 8, (int) headerLength).array();
            long dataStart = 8 + headerLength;
            Header header = parseHeader(source, headerBytes, size - dataStart);

            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry entry : header.entries()) {
                tensors.put(entry.name(), null); // file order, filled in below
            }
            mapTensors(source, channel, dataStart, header.entries(), tensors);
            return new TensorFile(path, header.metadata(), tensors);
        } catch (NoSuchFileException e) {
            throw new GraftException("cannot read " + source + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new GraftException("cannot read " + source + ": permission denied", e);
        } catch (IOException e) {
            throw new GraftException("cannot read " + source + ": " + reason(e), e);
        }
    }

    /**
     * Parses a whole safetensors file held in memory, with the same checks as {@link #open(Path)}. The data is copied
     * once, so the caller may reuse {@code bytes}.
     *
     * @return the tensors by name, in the order their data lies in the file
     * @throws GraftException if the bytes are not a valid safetensors file
     */
    public static Map<String, Tensor> read(byte[] bytes) {
        checkMinimumSize(IN_MEMORY, bytes.length);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        checkHeaderLength(IN_MEMORY, headerLength, bytes.length);
        int dataStart = 8 + (int) headerLength;
        Header header = parseHeader(IN_MEMORY, Arrays.copyOfRange(bytes, 8, dataStart), bytes.length - dataStart);

        long dataEnd = header.entries().stream().mapToLong(Entry::end).max().orElse(0);
        ByteBuffer data = ByteBuffer.wrap(Arrays.copyOfRange(bytes, dataStart, dataStart + (int) dataEnd));
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry entry : header.entries()) {
            tensors.put(entry.name(), Tensor.wrap(entry.dtype(), entry.shape(),
                    data.slice((int) entry.begin(), (int) entry.length())));
        }
        return tensors;
    }

    private static void checkMinimumSize(String source, long size) {
        if (size < 8) {
            throw corrupt(source, "only " + size + " bytes long, too short for a safetensors file"
                    + " (which starts with an 8-byte header length)");
        }
    }

    private static void checkHeaderLength(String source, long headerLength, long size) {
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw corrupt(source, "header length " + Long.toUnsignedString(headerLength)
                    + " is absurd (over 100 MB); this is not a safetensors file");
        }
        if (8 + headerLength > size) {
            throw corrupt(source, "header length " + headerLength + " runs beyond the end of the file (" + size
                    + " bytes): truncated, or not a safetensors file");
        }
    }

    /** A tensor's entry in the header, already checked; offsets are relative to the data section. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        long length() {
            return end - begin;
        }
    }

    private record Header(Map<String, String> metadata, List<Entry> entries) {}

    /** Checks the header JSON against the format and a data section of {@code dataLength} bytes. */
    private static Header parseHeader(String source, byte[] headerBytes, long dataLength) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw corrupt(source, "header is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw corrupt(source, "header is not valid JSON: " + oneLine(e.getOriginalMessage()));
        }
        if (root == null || !root.isObject()) {
            throw corrupt(source, "header is not a JSON object");
        }

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals(METADATA_KEY)) {
                parseMetadata(source, value, metadata);
            } else {
                entries.add(parseEntry(source, name, value, dataLength));
            }
        }

        // stable sort: file order, ties (empty tensors) in header order
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry previous = null;
        for (Entry entry : entries) {
            if (previous != null && entry.begin() < previous.end()) {
                throw corrupt(source, "tensors '" + previous.name() + "' " + range(previous) + " and '" + entry.name()
                        + "' " + range(entry) + " overlap");
            }
            if (previous == null || entry.end() >= previous.end()) {
                previous = entry;
            }
        }
        return new Header(metadata, entries);
    }

    private static void parseMetadata(String source, JsonNode value, Map<String, String> metadata) {
        if (!value.isObject()) {
            throw corrupt(source, "__metadata__ is not a JSON object of strings");
        }
        for (Map.Entry<String, JsonNode> field : value.properties()) {
            if (!field.getValue().isTextual()) {
                throw corrupt(source, "__metadata__ entry '" + field.getKey() + "' is not a string");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static Entry parseEntry(String source, String name, JsonNode value, long dataLength) {
        String tensor = "tensor '" + name + "'";
        if (!value.isObject()) {
            throw corrupt(source, tensor + " is not described by a JSON object");
        }
        JsonNode dtypeNode = value.get("dtype");
        JsonNode shapeNode = value.get("shape");
        JsonNode offsetsNode = value.get("data_offsets");
        if (dtypeNode == null) {
            throw corrupt(source, tensor + " has no dtype");
        }
        if (shapeNode == null) {
            throw corrupt(source, tensor + " has no shape");
        }
        if (offsetsNode == null) {
            throw corrupt(source, tensor + " has no data_offsets");
        }
        if (!dtypeNode.isTextual()) {
            throw corrupt(source, tensor + " has dtype " + dtypeNode + ", which is not a string");
        }
        DType dtype = DType.lookup(dtypeNode.textValue());
        if (dtype == null) {
            throw corrupt(source, tensor + " has unknown dtype '" + dtypeNode.textValue() + "' (Graft knows "
                    + DType.knownNames() + ")");
        }

        long[] shape = longs(shapeNode);
        if (shape == null) {
            throw corrupt(source, tensor + " has shape " + shapeNode + ", which is not a list of integers");
        }
        for (long dim : shape) {
            if (dim < 0) {
                throw corrupt(source, tensor + " has a negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long[] offsets = longs(offsetsNode);
        if (offsets == null || offsets.length != 2) {
            throw corrupt(source, tensor + " has data_offsets " + offsetsNode + ", which is not [begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw corrupt(source, tensor + " has data_offsets [" + begin + ", " + end
                    + "], which is not [begin, end] with 0 <= begin <= end");
        }

        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(Tensor.checkedElementCount(shape), dtype.byteSize());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw corrupt(source, tensor + " has shape " + Arrays.toString(shape) + ", which has too many elements");
        }
        if (end - begin != expectedBytes) {
            throw corrupt(source, tensor + " is " + dtype + " " + Arrays.toString(shape) + ", which takes "
                    + expectedBytes + " bytes, but its data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes");
        }
        if (end > dataLength) {
            throw corrupt(source, "truncated: " + tensor + " ends at byte " + end + " of the data section, but the "
                    + (source.equals(IN_MEMORY) ? "data" : "file") + " holds only " + dataLength + " data bytes");
        }
        if (expectedBytes > MAX_REGION_BYTES) {
            throw corrupt(source, tensor + " takes " + expectedBytes + " bytes; Graft holds tensors of at most 2 GiB");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** The integers of a JSON array, or null when it is not an array of integers that fit a long. */
    private static long[] longs(JsonNode node) {
        if (!node.isArray()) {
            return null;
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode element = node.get(i);
            if (!element.isIntegralNumber() || !element.canConvertToLong()) {
                return null;
            }
            values[i] = element.longValue();
        }
        return values;
    }

    /**
     * Maps the data section in as few regions as possible (each at most 2 GiB, the most a buffer can address) and makes
     * each tensor a slice of its region. {@code entries} are sorted by offset and already checked against the file.
     */
    private static void mapTensors(String source, FileChannel channel, long dataStart, List<Entry> entries,
            Map<String, Tensor> tensors) throws IOException {
        List<Entry> pending = new ArrayList<>();
        long regionStart = 0;
        long regionEnd = 0;
        for (Entry entry : entries) {
            if (entry.length() == 0) {
                tensors.put(entry.name(), Tensor.wrap(entry.dtype(), entry.shape(), ByteBuffer.allocate(0)));
                continue;
            }
            if (!pending.isEmpty() && entry.end() - regionStart > MAX_REGION_BYTES) {
                mapRegion(channel, dataStart, regionStart, regionEnd, pending, tensors);
                pending.clear();
            }
            if (pending.isEmpty()) {
                regionStart = entry.begin();
                regionEnd = entry.end();
            }
            pending.add(entry);
            regionEnd = Math.max(regionEnd, entry.end());
        }
        if (!pending.isEmpty()) {
            mapRegion(channel, dataStart, regionStart, regionEnd, pending, tensors);
        }
    }

    private static void mapRegion(FileChannel channel, long dataStart, long regionStart, long regionEnd,
            List<Entry> entries, Map<String, Tensor> tensors) throws IOException {
        MappedByteBuffer region = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + regionStart,
                regionEnd - regionStart);
        for (Entry entry : entries) {
            ByteBuffer view = region.slice((int) (entry.begin() - regionStart), (int) entry.length());
            tensors.put(entry.name(), Tensor.wrap(entry.dtype(), entry.shape(), view));
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        return buffer.flip();
    }

    // ---- writing ----------------------------------------------------------------------------------------------

    /**
     * Writes {@code tensors} (in the map's order, data contiguous) and {@code metadata} (stored as {@code __metadata__}
     * when not empty) to {@code target}, atomically: the file appears complete or not at all, and an existing file is
     * only replaced once the new one is safely on disk. Tensor data is streamed, never gathered into one array.
     *
     * @throws GraftException if the file cannot be written, or a name is not allowed
     */
    public static void write(Path target, Map<String, Tensor> tensors, Map<String, String> metadata) {
        byte[] header = header(target.toString(), tensors, metadata);
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new GraftException("cannot write " + target + ": it is a directory");
        }
        if (!Files.isDirectory(directory)) {
            throw new GraftException("cannot write " + target + ": directory " + directory + " does not exist");
        }
        Path temp = null;
        String writing = null; // the tensor being copied, for the message if its data cannot be read
        boolean moved = false;
        try {
            temp = createTemp(directory, absolute.getFileName().toString());
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                writeFully(channel, ByteBuffer.wrap(header));
                for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
                    writing = entry.getKey();
                    ByteBuffer data = entry.getValue().data();
                    for (int at = 0; at < data.limit(); at += WRITE_CHUNK_BYTES) {
                        // bounded pieces: the JDK copies a heap buffer into a direct one of the same size to write it
                        writeFully(channel, data.slice(at, Math.min(WRITE_CHUNK_BYTES, data.limit() - at)));
                    }
                }
                writing = null;
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(directory);
        } catch (IOException | UncheckedIOException e) {
            if (writing != null && "Bad address".equals(e.getMessage())) {
                // EFAULT: the kernel could not read the tensor's memory, a mapping whose file shrank since it was opened
                throw unreadable(target, writing, e);
            }
            throw new GraftException("cannot write " + target + ": " + reason(e)
                    + (writing != null ? " (while writing tensor '" + writing + "')" : ""), e);
        } catch (InternalError e) {
            // the JVM's answer to a fault reading such a mapping from Java code
            throw unreadable(target, writing, e);
        } finally {
            if (!moved && temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the original failure is what the user needs to see
                }
            }
        }
    }

    /**
     * The bytes of a safetensors file holding {@code tensors} and {@code metadata}, exactly as {@link #write} would
     * write them; for small files and tests.
     *
     * @throws GraftException if the result would not fit in one byte array, or a name is not allowed
     */
    public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
        byte[] header = header(IN_MEMORY, tensors, metadata);
        long total = header.length;
        for (Tensor tensor : tensors.values()) {
            total += tensor.byteSize();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new GraftException("cannot hold " + total + " bytes of safetensors data in memory; write a file instead");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total);
        out.put(header);
        for (Tensor tensor : tensors.values()) {
            out.put(tensor.data());
        }
        return out.array();
    }

    /** The length prefix and the JSON header, padded with spaces so the data starts 8-byte aligned. */
    private static byte[] header(String destination, Map<String, Tensor> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            metadata.forEach((key, value) -> {
                if (key == null || value == null) {
                    throw new GraftException("cannot write " + destination + ": metadata has a null key or value");
                }
            });
            // sorted, so the same weights and metadata give the same bytes whatever map the caller used
            new java.util.TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
            String name = entry.getKey();
            Tensor tensor = entry.getValue();
            if (name == null || tensor == null) {
                throw new GraftException("cannot write " + destination + ": a tensor or its name is null");
            }
            if (name.equals(METADATA_KEY)) {
                throw new GraftException("cannot write " + destination + ": '" + METADATA_KEY
                        + "' is reserved and cannot name a tensor");
            }
            ObjectNode node = root.putObject(name);
            node.put("dtype", tensor.dtype().safetensorsName());
            ArrayNode shape = node.putArray("shape");
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            long end = offset + tensor.byteSize();
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // cannot happen for a tree of strings and numbers
        }
        int padded = (json.length + 7) & ~7;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    /**
     * A new hidden file next to the target. Not {@link Files#createTempFile}: that makes it owner-only, and the rename
     * would carry those permissions over to the finished file.
     */
    private static Path createTemp(Path directory, String targetName) throws IOException {
        SecureRandom random = new SecureRandom();
        for (int attempt = 0; ; attempt++) {
            Path temp = directory.resolve("." + targetName + "." + Long.toHexString(random.nextLong() >>> 1) + ".tmp");
            try {
                FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Makes the rename itself durable where the platform allows syncing a directory; harmless where it does not. */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not supported here (Windows); the file itself is already synced
        }
    }

    // ---- messages ---------------------------------------------------------------------------------------------

    private static GraftException corrupt(String source, String problem) {
        return new GraftException("cannot read " + source + ": " + problem);
    }

    private static GraftException unreadable(Path target, String tensor, Throwable cause) {
        String which = tensor == null ? "a tensor" : "tensor '" + tensor + "'";
        return new GraftException("cannot write " + target + ": the data of " + which + " could not be read"
                + " (was the file it was loaded from changed or truncated?)", cause);
    }

    private static String range(Entry entry) {
        return "[" + entry.begin() + ", " + entry.end() + "]";
    }

    private static String reason(Exception e) {
        Throwable cause = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        if (cause instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (cause instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + (f.getFile() != null ? " (" + f.getFile() + ")" : "");
        }
        String message = cause.getMessage();
        return message != null ? oneLine(message) : cause.getClass().getSimpleName();
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s+", " ").trim();
    }
}
