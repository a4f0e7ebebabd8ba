package dev.graft.models;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.graft.models.testing.Fixtures;

/** The PyTorch-made reference files in the shared folder (see its manifest.json). */
public final class Golden {
    private Golden() {
    }

    /** The shared folder (see {@link Fixtures#sharedDir()}). */
    public static Path sharedDir() {
        return Fixtures.sharedDir();
    }

    /** A golden file; a missing one skips the calling test, or fails it in CI ({@link Fixtures}). */
    public static Path file(String name) {
        return Fixtures.golden(name);
    }

    /** A raw little-endian float32 file. */
    public static float[] floats(String name) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file(name))).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / 4];
            b.asFloatBuffer().get(out);
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
