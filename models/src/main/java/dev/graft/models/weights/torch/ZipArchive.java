package dev.graft.models.weights.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The central directory of a zip file, read just far enough to find where each stored entry's bytes lie.
 *
 * <p>{@code java.util.zip} can read entries but not say where their data starts, and mapping the file needs exactly
 * that: {@code torch.save} stores every entry uncompressed (and 64-byte aligned) so that a reader can map storages in
 * place. Every number in the directory is checked against the file before it is used: entries must lie inside the file,
 * before the directory and apart from each other; names must be relative paths without {@code ..}; no name may repeat.
 */
final class ZipArchive {
    /** Far beyond any checkpoint (a storage per entry), and bounds the time a crafted directory can cost. */
    static final int MAX_ENTRIES = 262_144;

    /** An entry's name and where its (stored, uncompressed) bytes are in the file. */
    record Entry(String name, long dataOffset, long size, int method, int crc) {
    }

    private final Map<String, Entry> entries;

    private ZipArchive(Map<String, Entry> entries) {
        this.entries = entries;
    }

    Map<String, Entry> entries() {
        return entries;
    }

    static ZipArchive read(String source, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        int tail = (int) Math.min(fileSize, 22 + 65_535 + 20);
        ByteBuffer end = read(channel, fileSize - tail, tail);
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--) {
            if (end.getInt(i) == 0x06054b50 && i + 22 + (end.getShort(i + 20) & 0xffff) == tail) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            throw PickleMachine.fail(source, "truncated zip: its central directory (at the end of the file) is missing");
        }
        long count = end.getShort(eocd + 10) & 0xffff;
        long directorySize = Integer.toUnsignedLong(end.getInt(eocd + 12));
        long directoryOffset = Integer.toUnsignedLong(end.getInt(eocd + 16));
        if ((count == 0xffff || directorySize == 0xffffffffL || directoryOffset == 0xffffffffL) && eocd >= 20
                && end.getInt(eocd - 20) == 0x07064b50) {
            long zip64 = end.getLong(eocd - 20 + 8);
            if (zip64 < 0 || zip64 > fileSize - 56) {
                throw PickleMachine.fail(source, "corrupt zip: its zip64 directory record lies outside the file");
            }
            ByteBuffer record = read(channel, zip64, 56);
            if (record.getInt(0) != 0x06064b50) {
                throw PickleMachine.fail(source, "corrupt zip: its zip64 directory record is missing");
            }
            count = record.getLong(32);
            directorySize = record.getLong(40);
            directoryOffset = record.getLong(48);
        }
        long directoryEnd = fileSize - tail + eocd;
        if (count < 0 || count > MAX_ENTRIES) {
            throw PickleMachine.fail(source, "its zip directory lists " + count + " entries, more than a checkpoint"
                    + " has (at most " + MAX_ENTRIES + ")");
        }
        if (directoryOffset < 0 || directorySize < 0
                || directorySize > Integer.MAX_VALUE || directoryOffset > directoryEnd
                || directoryOffset + directorySize > directoryEnd) {
            throw PickleMachine.fail(source, "truncated or corrupt zip: its central directory does not fit the file");
        }
        ByteBuffer dir = read(channel, directoryOffset, (int) directorySize);
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>();
        ByteBuffer local = ByteBuffer.allocate(30).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        for (long i = 0; i < count; i++) {
            if (at + 46 > dir.limit() || dir.getInt(at) != 0x02014b50) {
                throw PickleMachine.fail(source, "corrupt zip: central directory entry " + i + " is malformed");
            }
            int flags = dir.getShort(at + 8) & 0xffff;
            int crc = dir.getInt(at + 16);
            int method = dir.getShort(at + 10) & 0xffff;
            long compressed = Integer.toUnsignedLong(dir.getInt(at + 20));
            long size = Integer.toUnsignedLong(dir.getInt(at + 24));
            int nameLength = dir.getShort(at + 28) & 0xffff;
            int extraLength = dir.getShort(at + 30) & 0xffff;
            int commentLength = dir.getShort(at + 32) & 0xffff;
            long localOffset = Integer.toUnsignedLong(dir.getInt(at + 42));
            int next = at + 46 + nameLength + extraLength + commentLength;
            if (next > dir.limit()) {
                throw PickleMachine.fail(source, "corrupt zip: central directory entry " + i + " runs past the directory");
            }
            String name = name(source, dir, at + 46, nameLength);
            // zip64 extra field: the 32-bit fields that are all ones are given here, in this order
            int x = at + 46 + nameLength;
            int xEnd = x + extraLength;
            while (x + 4 <= xEnd) {
                int id = dir.getShort(x) & 0xffff;
                int len = dir.getShort(x + 2) & 0xffff;
                if (x + 4 + len > xEnd) {
                    break;
                }
                if (id == 0x0001) {
                    int f = x + 4;
                    if (size == 0xffffffffL && f + 8 <= x + 4 + len) {
                        size = dir.getLong(f);
                        f += 8;
                    }
                    if (compressed == 0xffffffffL && f + 8 <= x + 4 + len) {
                        compressed = dir.getLong(f);
                        f += 8;
                    }
                    if (localOffset == 0xffffffffL && f + 8 <= x + 4 + len) {
                        localOffset = dir.getLong(f);
                    }
                }
                x += 4 + len;
            }
            if ((flags & 1) != 0) {
                throw PickleMachine.fail(source, "zip entry '" + name + "' is encrypted");
            }
            if (entries.containsKey(name)) {
                throw PickleMachine.fail(source, "zip entry '" + name + "' appears twice");
            }
            if (localOffset < 0 || localOffset > directoryOffset - 30 || size < 0 || compressed < 0) {
                throw PickleMachine.fail(source, "truncated or corrupt zip: entry '" + name + "' lies outside the file");
            }
            // a small read rather than a look into a mapping: measured here, 932 reads of 30 bytes took about 1 ms,
            // first touches of 932 mapped pages 2 to 20 ms
            local.clear();
            while (local.hasRemaining()) {
                if (channel.read(local, localOffset + local.position()) < 0) {
                    throw PickleMachine.fail(source, "truncated zip: entry '" + name + "' has no local header");
                }
            }
            if (local.getInt(0) != 0x04034b50) {
                throw PickleMachine.fail(source, "corrupt zip: entry '" + name + "' has no local header");
            }
            long dataOffset = localOffset + 30 + (local.getShort(26) & 0xffff) + (local.getShort(28) & 0xffff);
            if (dataOffset + compressed > directoryOffset || dataOffset + compressed < dataOffset) {
                throw PickleMachine.fail(source, "truncated or corrupt zip: entry '" + name + "' runs past its data");
            }
            if (method == 0 && compressed != size) {
                throw PickleMachine.fail(source, "corrupt zip: stored entry '" + name + "' has two different sizes");
            }
            entries.put(name, new Entry(name, dataOffset, method == 0 ? size : compressed, method, crc));
            spans.add(new long[] {localOffset, dataOffset + compressed});
            at = next;
        }
        spans.sort(Comparator.comparingLong(s -> s[0]));
        for (int i = 1; i < spans.size(); i++) {
            if (spans.get(i)[0] < spans.get(i - 1)[1]) {
                throw PickleMachine.fail(source, "corrupt zip: two entries overlap");
            }
        }
        return new ZipArchive(entries);
    }

    private static String name(String source, ByteBuffer dir, int at, int length) {
        String name;
        byte[] bytes = new byte[length];
        dir.get(at, bytes);
        boolean ascii = true;
        for (byte b : bytes) {
            ascii &= b >= 0;
        }
        try {
            name = ascii ? new String(bytes, StandardCharsets.US_ASCII)
                    : StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw PickleMachine.fail(source, "a zip entry name is not valid UTF-8");
        }
        boolean bad = name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains("\0");
        for (String part : name.split("/", -1)) {
            bad |= part.equals("..") || part.equals(".");
        }
        if (bad) {
            throw PickleMachine.fail(source, "zip entry name '" + printable(name)
                    + "' is not a plain relative path; refused");
        }
        return name;
    }

    private static String printable(String name) {
        String shown = name.length() > 100 ? name.substring(0, 100) + "..." : name;
        return shown.replaceAll("\\p{Cntrl}", "?");
    }

    static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new java.io.EOFException("unexpected end of file");
            }
        }
        return buffer.flip();
    }
}
