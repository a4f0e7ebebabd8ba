package dev.graft.edge;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One item of a batch for {@link EdgeModel#predictBatch}: a file, encoded bytes, a decoded image or a ready tensor.
 *
 * <p>A batch may mix kinds, which is why the kinds share one type. The records hold what they are given without
 * copying arrays; do not change them while a prediction runs.
 */
public sealed interface EdgeInput {
    /** An image file (JPEG, PNG, BMP, GIF, TIFF, WBMP). */
    static EdgeInput of(Path file) {
        return new File(file);
    }

    /** An encoded image held in memory, e.g. an HTTP request body. */
    static EdgeInput of(byte[] encoded) {
        return new Encoded(encoded);
    }

    /** A decoded image. */
    static EdgeInput of(BufferedImage image) {
        return new Image(image);
    }

    /** A preprocessed tensor: channels x height x width floats at the model's input size, already normalised. */
    static EdgeInput ofTensor(float[] chw) {
        return new Tensor(chw);
    }

    /** An image file. */
    record File(Path path) implements EdgeInput {
        public File {
            Objects.requireNonNull(path, "path");
        }
    }

    /** Encoded image bytes. */
    record Encoded(byte[] bytes) implements EdgeInput {
        public Encoded {
            Objects.requireNonNull(bytes, "bytes");
        }
    }

    /** A decoded image. */
    record Image(BufferedImage image) implements EdgeInput {
        public Image {
            Objects.requireNonNull(image, "image");
        }
    }

    /** A CHW tensor at the model's input size. */
    record Tensor(float[] chw) implements EdgeInput {
        public Tensor {
            Objects.requireNonNull(chw, "chw");
        }
    }
}
