package dev.graft.exporter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;

/** The PyTorch-made reference files in the shared folder ({@code golden/manifest.json} describes them). */
final class Golden {
    private Golden() {
    }

    /** The shared folder: the {@code graft.shared.dir} property (set by surefire), else {@code ../../shared}. */
    static Path sharedDir() {
        String prop = System.getProperty("graft.shared.dir");
        Path dir = prop != null ? Paths.get(prop) : Paths.get("..", "..", "shared");
        return dir.toAbsolutePath().normalize();
    }

    /** A golden file; skips the calling test when the shared folder is not there. */
    static Path file(String name) {
        Path p = sharedDir().resolve("golden").resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(p), "golden file missing: " + p);
        return p;
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
