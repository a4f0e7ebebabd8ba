package dev.graft.models.weights;

import dev.graft.models.GraftException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An opened weight file whose tensors are views onto a read-only memory mapping: a safetensors file, or a PyTorch
 * checkpoint opened through {@link WeightFiles} (where only tensors saved as strided views are copies).
 *
 * <p>It exists so that loading a checkpoint costs neither time nor heap: nothing is read until a tensor's bytes are
 * touched, and the operating system pages them in and out as it sees fit. Closing only forgets the tensors; tensors
 * already taken from the file stay valid, because the mapping lives as long as anything still refers to it, so no
 * caller can ever read unmapped memory.
 */
public final class TensorFile implements AutoCloseable {
    private final Path path;
    private final Map<String, String> metadata;
    private volatile Map<String, Tensor> tensors;

    TensorFile(Path path, Map<String, String> metadata, LinkedHashMap<String, Tensor> tensors) {
        this.path = path;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    public Path path() {
        return path;
    }

    /**
     * Free-form strings about the file: a safetensors header's {@code __metadata__} (for example {@code format=pt}),
     * plus, when opened through {@link WeightFiles}, the keys it documents ({@code source.format} and others).
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in the order their data lies in the file (for a PyTorch checkpoint, its state dict's order). */
    public List<String> names() {
        return List.copyOf(open().keySet());
    }

    public int size() {
        return open().size();
    }

    public boolean contains(String name) {
        return open().containsKey(name);
    }

    /**
     * The named tensor, a view onto the mapped file.
     *
     * @throws GraftException if the file has no tensor of that name
     */
    public Tensor get(String name) {
        Map<String, Tensor> current = open();
        Tensor tensor = current.get(name);
        if (tensor == null) {
            throw new GraftException(path + " has no tensor '" + name + "' (it holds " + current.size() + " tensors)");
        }
        return tensor;
    }

    /** Every tensor by name, in file order; a fresh map the caller may change. */
    public Map<String, Tensor> all() {
        return new LinkedHashMap<>(open());
    }

    /** Forgets the tensors; the mapping itself goes when the last tensor taken from this file is unreachable. */
    @Override
    public void close() {
        tensors = null;
    }

    @Override
    public String toString() {
        Map<String, Tensor> current = tensors;
        return "TensorFile(" + path + (current == null ? ", closed)" : ", " + current.size() + " tensors)");
    }

    private Map<String, Tensor> open() {
        Map<String, Tensor> current = tensors;
        if (current == null) {
            throw new IllegalStateException(path + " is closed");
        }
        return current;
    }
}
