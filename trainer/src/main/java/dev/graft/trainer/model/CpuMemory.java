package dev.graft.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;

/**
 * Whether Java code may work on an engine array's memory in place.
 *
 * <p>The PyTorch engine hands out a direct buffer over a CPU tensor's own storage when it can, and a copy when it
 * cannot (a non-contiguous view, another device). Reading through a copy is harmless; writing through one is lost.
 * The few places where Graft updates or fills tensors from Java (the CPU Adam, the CPU max-pool) therefore ask first,
 * by writing through one buffer and reading through another, rather than trusting an engine detail that could change
 * between DJL releases.
 */
public final class CpuMemory {
    private CpuMemory() {
    }

    /**
     * True if {@code a} is a non-empty float32 CPU array whose direct buffers ({@code toByteBuffer(true)}) are its own
     * memory, so that writes through them change the array.
     */
    public static boolean isShared(NDArray a) {
        if (a == null || !Device.cpu().equals(a.getDevice()) || a.getDataType() != DataType.FLOAT32
                || a.size() == 0) {
            return false;
        }
        ByteBuffer first = a.toByteBuffer(true);
        ByteBuffer second = a.toByteBuffer(true);
        if (!first.isDirect() || !second.isDirect() || first.capacity() != a.size() * Float.BYTES) {
            return false;
        }
        int original = first.getInt(0);
        first.putInt(0, ~original);
        boolean shared = second.getInt(0) == ~original;
        first.putInt(0, original);
        return shared;
    }
}
