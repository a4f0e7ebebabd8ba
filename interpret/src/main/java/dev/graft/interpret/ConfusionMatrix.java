package dev.graft.interpret;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Counts of (actual, predicted) pairs: actual classes in rows, predicted in columns, as fastai draws it. A fixed
 * {@code n x n} table, so memory does not depend on the number of images.
 */
public final class ConfusionMatrix {
    private final List<String> classes;
    private final long[][] counts;

    public ConfusionMatrix(List<String> classes) {
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("no classes");
        }
        this.classes = List.copyOf(classes);
        this.counts = new long[classes.size()][classes.size()];
    }

    /** One more image of class {@code actual} predicted as {@code predicted}. */
    public void add(int actual, int predicted) {
        counts[actual][predicted]++;
    }

    public List<String> classes() {
        return classes;
    }

    /** The count of images of class {@code actual} predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        return counts[actual][predicted];
    }

    /** A copy of the counts, actual in rows. */
    public long[][] counts() {
        long[][] copy = new long[counts.length][];
        for (int i = 0; i < counts.length; i++) {
            copy[i] = counts[i].clone();
        }
        return copy;
    }

    /** Each row divided by its sum (the share of each actual class predicted as each class); an empty row stays 0. */
    public double[][] rowNormalised() {
        int n = counts.length;
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            long sum = rowSum(i);
            for (int j = 0; j < n && sum > 0; j++) {
                out[i][j] = counts[i][j] / (double) sum;
            }
        }
        return out;
    }

    long rowSum(int row) {
        long s = 0;
        for (long c : counts[row]) {
            s += c;
        }
        return s;
    }

    long columnSum(int column) {
        long s = 0;
        for (long[] row : counts) {
            s += row[column];
        }
        return s;
    }

    /** All images counted. */
    public long total() {
        long s = 0;
        for (int i = 0; i < counts.length; i++) {
            s += rowSum(i);
        }
        return s;
    }

    /** Images whose prediction equals their class. */
    public long correct() {
        long s = 0;
        for (int i = 0; i < counts.length; i++) {
            s += counts[i][i];
        }
        return s;
    }

    /** One off-diagonal cell: how often {@code actual} was taken for {@code predicted}. */
    public record Confusion(String actual, String predicted, long count) {
    }

    /**
     * fastai's {@code most_confused}: the off-diagonal cells with at least {@code minCount} images, most frequent first
     * (ties in row, then column order).
     */
    public List<Confusion> mostConfused(long minCount) {
        List<Confusion> out = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            for (int j = 0; j < counts.length; j++) {
                if (i != j && counts[i][j] >= Math.max(1, minCount)) {
                    out.add(new Confusion(classes.get(i), classes.get(j), counts[i][j]));
                }
            }
        }
        out.sort(Comparator.comparingLong(Confusion::count).reversed());
        return out;
    }
}
