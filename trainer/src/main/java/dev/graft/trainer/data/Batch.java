package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import java.nio.file.Path;
import java.util.List;

/**
 * A block of transformed images and their targets in the plain-array form an engine can copy in one call.
 *
 * <p>The arrays are handed over, not copied: the loader does not keep or reuse them, so the consumer may wrap them
 * directly. {@code n} can be below the loader's batch size for the last validation batch, and for any batch from which
 * unreadable images were dropped.
 */
public final class Batch {
    private final int index;
    private final float[] images;
    private final int n;
    private final int c;
    private final int h;
    private final int w;
    private final Task task;
    private final int[] classIndices;
    private final float[] targets;
    private final int targetWidth;
    private final List<Path> paths;

    Batch(int index, float[] images, int n, int c, int h, int w, Task task, int[] classIndices, float[] targets,
            int targetWidth, List<Path> paths) {
        this.index = index;
        this.images = images;
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        this.task = task;
        this.classIndices = classIndices;
        this.targets = targets;
        this.targetWidth = targetWidth;
        this.paths = List.copyOf(paths);
    }

    /** This batch's position in its epoch, counting from 0. */
    public int index() {
        return index;
    }

    /** {@code n * c * h * w} floats, NCHW, RGB, normalised. */
    public float[] images() {
        return images;
    }

    public int n() {
        return n;
    }

    public int c() {
        return c;
    }

    public int h() {
        return h;
    }

    public int w() {
        return w;
    }

    public Task task() {
        return task;
    }

    /** The class index of each image; single-label batches only. */
    public int[] classIndices() {
        if (task != Task.SINGLE_LABEL) {
            throw new IllegalStateException("a " + task + " batch has no class indices; use targets()");
        }
        return classIndices;
    }

    /** {@code n * targetWidth()} floats: multi-hot rows (multi-label) or one value per image (regression). */
    public float[] targets() {
        if (task == Task.SINGLE_LABEL) {
            throw new IllegalStateException("a single-label batch has class indices; use classIndices()");
        }
        return targets;
    }

    /** Numbers per target: classes for multi-label, 1 for regression and single-label. */
    public int targetWidth() {
        return targetWidth;
    }

    /** The source file of each image, in batch order. */
    public List<Path> paths() {
        return paths;
    }

    @Override
    public String toString() {
        return "Batch[" + index + ", " + n + "x" + c + "x" + h + "x" + w + ", " + task + "]";
    }
}
