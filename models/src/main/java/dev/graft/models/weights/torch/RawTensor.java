package dev.graft.models.weights.torch;

import java.nio.ByteBuffer;

/**
 * One tensor as PyTorch wrote it, made contiguous: row-major little-endian bytes, read-only, positioned at 0.
 *
 * <p>For a contiguous tensor the bytes are a slice of a read-only mapping of the file, never a copy; only a strided
 * view (a transposed weight saved as such, an expanded tensor) is gathered into a buffer of its own.
 *
 * @param type the element type
 * @param shape the dimensions, outermost first; empty for a 0-d scalar
 * @param data exactly elements x element size bytes
 */
public record RawTensor(ScalarType type, long[] shape, ByteBuffer data) {
}
