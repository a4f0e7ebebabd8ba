package dev.graft.models.spec;

import java.util.Arrays;
import java.util.List;

/**
 * One named tensor of a layer: a learnable parameter or a buffer (BatchNorm's running statistics).
 *
 * <p>Only learnable parameters count towards a network's parameter count, as in PyTorch's
 * {@code sum(p.numel() for p in model.parameters())}.
 *
 * @param name the name inside the layer, as PyTorch names it ({@code weight}, {@code running_var})
 * @param shape the tensor's dimensions
 * @param learnable true for parameters an optimiser updates, false for buffers
 */
public record Param(String name, List<Integer> shape, boolean learnable) {
    public Param {
        shape = List.copyOf(shape);
    }

    static Param learnable(String name, int... shape) {
        return new Param(name, Arrays.stream(shape).boxed().toList(), true);
    }

    static Param buffer(String name, int... shape) {
        return new Param(name, Arrays.stream(shape).boxed().toList(), false);
    }

    /** The number of elements. */
    public long size() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** The dimensions as a {@code long[]}, the form tensor libraries take. */
    public long[] shapeArray() {
        return shape.stream().mapToLong(Integer::longValue).toArray();
    }
}
