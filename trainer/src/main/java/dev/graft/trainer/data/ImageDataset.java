package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import dev.graft.models.GraftException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * A labelled image collection already split into training and validation items, checked against the file system.
 *
 * <p>It exists so that every mistake in the user's data is found, and reported in one line, before a model is built
 * or a single batch is decoded. Nothing is decoded here; items are paths plus targets.
 *
 * <p>Sources follow fastai's conventions: class-per-folder trees ({@code train/} + {@code valid/} or {@code val/}, or
 * plain class folders with a random split), and {@code fname,labels} CSV files. The random split mirrors fastai's
 * {@code RandomSplitter}: shuffle all items with the seed, the first {@code floor(validPct * n)} go to validation
 * (at least one when {@code validPct > 0} and there are two or more items).
 */
public final class ImageDataset {
    public static final double DEFAULT_VALID_PCT = 0.2;
    public static final long DEFAULT_SEED = 42L;

    private final Task task;
    private final List<String> classes;
    private final List<Item> train;
    private final List<Item> valid;

    ImageDataset(Task task, List<String> classes, List<Item> train, List<Item> valid) {
        this.task = Objects.requireNonNull(task);
        this.classes = List.copyOf(classes);
        this.train = List.copyOf(train);
        this.valid = List.copyOf(valid);
        if (this.train.isEmpty()) {
            throw new IllegalArgumentException("a dataset needs training items");
        }
    }

    /** Class folders under {@code dir}, split by folder when {@code train/} and {@code valid/} exist, else 80/20. */
    public static ImageDataset fromFolders(Path dir) {
        return fromFolders(dir, DEFAULT_VALID_PCT, DEFAULT_SEED);
    }

    /**
     * Class folders under {@code dir}. Layouts, tried in order: {@code dir/train/<class>} with
     * {@code dir/valid/<class>} (or {@code val}); {@code dir/train/<class>} alone, split at random; {@code dir/<class>},
     * split at random. {@code validPct} and {@code seed} only matter for the random split.
     */
    public static ImageDataset fromFolders(Path dir, double validPct, long seed) {
        checkValidPct(validPct);
        return FolderSource.load(dir, validPct, seed);
    }

    /** A fastai-style {@code fname,labels} CSV with space-separated labels; images next to it or in {@code images/}. */
    public static ImageDataset fromMultiLabelCsv(Path csv) {
        return fromCsv(csv, Task.MULTI_LABEL, null, DEFAULT_VALID_PCT, DEFAULT_SEED);
    }

    /** A {@code fname,value} CSV; images next to it or in {@code images/}. */
    public static ImageDataset fromRegressionCsv(Path csv) {
        return fromCsv(csv, Task.REGRESSION, null, DEFAULT_VALID_PCT, DEFAULT_SEED);
    }

    /**
     * A CSV whose first column names an image and whose second holds its target: one class (single-label),
     * space-separated labels (multi-label) or a number (regression). The header is optional; when present, an
     * {@code is_valid} column (true/false, 1/0, yes/no) chooses the split, otherwise the split is random.
     *
     * @param imageDir where file names are resolved; {@code null} means the CSV's folder, then {@code images/} in it
     */
    public static ImageDataset fromCsv(Path csv, Task task, Path imageDir, double validPct, long seed) {
        Objects.requireNonNull(task, "task");
        checkValidPct(validPct);
        return CsvSource.load(csv, task, imageDir, validPct, seed);
    }

    public Task task() {
        return task;
    }

    /** Class names in index order (sorted); empty for regression. */
    public List<String> classes() {
        return classes;
    }

    /** How many numbers a target has: the number of classes, or 1 for regression. */
    public int targetWidth() {
        return task == Task.REGRESSION ? 1 : classes.size();
    }

    public List<Item> train() {
        return train;
    }

    public List<Item> valid() {
        return valid;
    }

    public List<Item> items(Split split) {
        return split == Split.TRAIN ? train : valid;
    }

    /**
     * This dataset without the items whose path is in {@code paths} (unreadable files found before training), with
     * the split of the others unchanged: what is counted and reported is then exactly what the loader will use.
     *
     * @throws GraftException if no training item would be left
     */
    public ImageDataset without(Set<Path> paths) {
        Objects.requireNonNull(paths, "paths");
        List<Item> keptTrain = train.stream().filter(i -> !paths.contains(i.path())).toList();
        List<Item> keptValid = valid.stream().filter(i -> !paths.contains(i.path())).toList();
        if (keptTrain.isEmpty()) {
            throw new GraftException("none of the " + train.size() + " training images can be read");
        }
        return new ImageDataset(task, classes, keptTrain, keptValid);
    }

    @Override
    public String toString() {
        return "ImageDataset[" + task + ", " + classes.size() + " classes, " + train.size() + " train, "
                + valid.size() + " valid]";
    }

    private static void checkValidPct(double validPct) {
        if (!(validPct >= 0.0 && validPct < 1.0)) {
            throw new GraftException("Validation percentage must be at least 0 and below 1, got " + validPct);
        }
    }

    /** fastai's RandomSplitter, returning {train, valid} in the items' original order. */
    static List<List<Item>> randomSplit(List<Item> items, double validPct, long seed) {
        int n = items.size();
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        int cut = (int) Math.floor(validPct * n);
        if (validPct > 0 && cut == 0 && n >= 2) {
            cut = 1;
        }
        boolean[] isValid = new boolean[n];
        for (int i = 0; i < cut; i++) {
            isValid[order.get(i)] = true;
        }
        List<Item> train = new ArrayList<>(n - cut);
        List<Item> valid = new ArrayList<>(cut);
        for (int i = 0; i < n; i++) {
            (isValid[i] ? valid : train).add(items.get(i));
        }
        return List.of(train, valid);
    }
}
