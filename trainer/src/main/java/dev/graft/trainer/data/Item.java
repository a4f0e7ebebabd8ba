package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * One labelled image, kept as a path so that a dataset of millions of files costs only its file names until a loader
 * decodes them.
 *
 * <p>Exactly one kind of target is present, chosen by {@link #task()}; asking for another kind is a programming error.
 */
public final class Item {
    private final Path path;
    private final Task task;
    private final int classIndex;
    private final float[] multiHot;
    private final float value;

    private Item(Path path, Task task, int classIndex, float[] multiHot, float value) {
        this.path = Objects.requireNonNull(path, "path");
        this.task = task;
        this.classIndex = classIndex;
        this.multiHot = multiHot;
        this.value = value;
    }

    public static Item singleLabel(Path path, int classIndex) {
        if (classIndex < 0) {
            throw new IllegalArgumentException("class index must be >= 0: " + classIndex);
        }
        return new Item(path, Task.SINGLE_LABEL, classIndex, null, Float.NaN);
    }

    public static Item multiLabel(Path path, float[] multiHot) {
        Objects.requireNonNull(multiHot, "multiHot");
        return new Item(path, Task.MULTI_LABEL, -1, multiHot.clone(), Float.NaN);
    }

    public static Item regression(Path path, float value) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException("regression target must be finite: " + value);
        }
        return new Item(path, Task.REGRESSION, -1, null, value);
    }

    public Path path() {
        return path;
    }

    public Task task() {
        return task;
    }

    public int classIndex() {
        require(Task.SINGLE_LABEL);
        return classIndex;
    }

    /** A copy of the multi-hot vector (1 for each label the image carries, 0 elsewhere). */
    public float[] multiHot() {
        require(Task.MULTI_LABEL);
        return multiHot.clone();
    }

    public float value() {
        require(Task.REGRESSION);
        return value;
    }

    /** Writes this item's multi-hot vector into {@code dst} without copying it first. */
    void copyMultiHot(float[] dst, int offset) {
        System.arraycopy(multiHot, 0, dst, offset, multiHot.length);
    }

    int multiHotLength() {
        return multiHot == null ? 0 : multiHot.length;
    }

    private void require(Task wanted) {
        if (task != wanted) {
            throw new IllegalStateException("item " + path + " is " + task + ", not " + wanted);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Item)) {
            return false;
        }
        Item other = (Item) o;
        return path.equals(other.path) && task == other.task && classIndex == other.classIndex
                && Arrays.equals(multiHot, other.multiHot) && Float.compare(value, other.value) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, task, classIndex, Arrays.hashCode(multiHot), value);
    }

    @Override
    public String toString() {
        switch (task) {
            case SINGLE_LABEL:
                return "Item[" + path + " -> class " + classIndex + "]";
            case MULTI_LABEL:
                return "Item[" + path + " -> " + Arrays.toString(multiHot) + "]";
            default:
                return "Item[" + path + " -> " + value + "]";
        }
    }
}
