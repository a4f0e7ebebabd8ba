package dev.graft.models;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The PyTorch-made reference files in the shared folder (see its manifest.json). */
public final class Golden {
    private Golden() {
    }

    /** The shared folder: the {@code graft.shared.dir} property (set by surefire), else {@code ../shared}. */
    public static Path sharedDir() {
        String prop = System.getProperty("graft.shared.dir");
        Path dir = prop != null ? Paths.get(prop) : Paths.get("..", "shared");
        if (!Files.isDirectory(dir.resolve("golden"))) {
            dir = Paths.get("..", "..", "shared");
        }
        return dir.toAbsolutePath().normalize();
    }

    public static Path file(String name) {
        Path p = sharedDir().resolve("golden").resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("golden file missing: " + p);
        }
        return p;
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
