package dev.graft.exporter;

import dev.graft.models.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** The PyTorch-made reference files in the shared folder ({@code golden/manifest.json} describes them). */
final class Golden {
    private Golden() {
    }

    /** The shared folder (see {@link Fixtures#sharedDir()}). */
    static Path sharedDir() {
        return Fixtures.sharedDir();
    }

    /** A golden file; a missing one skips the calling test, or fails it in CI ({@link Fixtures}). */
    static Path file(String name) {
        return Fixtures.golden(name);
    }

    /** A raw little-endian float32 file. */
    static float[] floats(String name) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file(name))).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / Float.BYTES];
            b.asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
