package dev.graft.models.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Hand-made safetensors bytes, valid or not, for tests that must not trust the writer under test. */
final class CorruptFiles {
    private CorruptFiles() {}

    /** The length prefix, {@code header} as UTF-8 (unpadded) and {@code data}. */
    static byte[] file(String header, byte[] data) {
        return file(header.getBytes(StandardCharsets.UTF_8), data);
    }

    static byte[] file(byte[] header, byte[] data) {
        return withLength(header.length, header, data);
    }

    /** Like {@link #file(byte[], byte[])} but with any value in the length prefix. */
    static byte[] withLength(long declaredHeaderLength, byte[] header, byte[] data) {
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(declaredHeaderLength).put(header).put(data);
        return out.array();
    }
}
