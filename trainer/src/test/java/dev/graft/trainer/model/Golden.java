package dev.graft.trainer.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The PyTorch-made reference files in the shared folder (described by golden/manifest.json). */
final class Golden {
    private Golden() {
    }

    /** A file of the golden folder, found through the {@code graft.shared.dir} property that surefire sets. */
    static Path file(String name) {
        String prop = System.getProperty("graft.shared.dir");
        Path dir = prop != null ? Paths.get(prop) : Paths.get("..", "..", "shared");
        Path p = dir.resolve("golden").resolve(name).toAbsolutePath().normalize();
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("golden file missing: " + p);
        }
        return p;
    }

    /** A raw little-endian float32 file. */
    static float[] floats(String name) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file(name))).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / 4];
            b.asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
