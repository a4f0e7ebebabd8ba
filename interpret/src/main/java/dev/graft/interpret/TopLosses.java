package dev.graft.interpret;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The {@code capacity} highest losses seen, in a min-heap of that size: each new image costs O(log capacity) and memory
 * stays at {@code capacity} entries however many images stream past. Equal losses keep the earlier image.
 */
public final class TopLosses {
    /** One image among the highest losses. */
    public record Entry(String file, String actual, String predicted, double loss, double probability, long order) {
    }

    private static final Comparator<Entry> LOWEST_FIRST = Comparator.comparingDouble(Entry::loss)
            .thenComparing(Comparator.comparingLong(Entry::order).reversed());

    private final int capacity;
    private final PriorityQueue<Entry> heap;
    private long seen;

    public TopLosses(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        this.heap = new PriorityQueue<>(Math.max(1, capacity + 1), LOWEST_FIRST);
    }

    /**
     * Offers one image.
     *
     * @param probability the probability the model gave its prediction (shown as fastai's plot_top_losses does)
     */
    public void offer(String file, String actual, String predicted, double loss, double probability) {
        long order = seen++;
        if (capacity == 0) {
            return;
        }
        if (heap.size() < capacity) {
            heap.add(new Entry(file, actual, predicted, loss, probability, order));
        } else if (Double.compare(loss, heap.peek().loss()) > 0) {
            // A newer image never wins a tie (the earlier one is kept), so only a strictly higher loss enters; most
            // images allocate nothing here.
            heap.poll();
            heap.add(new Entry(file, actual, predicted, loss, probability, order));
        }
    }

    /** The kept entries, highest loss first. */
    public List<Entry> highestFirst() {
        List<Entry> out = new ArrayList<>(heap);
        out.sort(LOWEST_FIRST.reversed());
        return out;
    }

    public int capacity() {
        return capacity;
    }

    /** Cross-entropy of the true class as fastai reports it, {@code -log(max(p, 1e-12))}. */
    public static double crossEntropy(double trueClassProbability) {
        return -Math.log(Math.max(trueClassProbability, 1e-12));
    }

    /** Mean binary cross-entropy over the labels, each probability clamped to [1e-12, 1 - 1e-12]. */
    public static double binaryCrossEntropy(float[] probabilities, boolean[] actual) {
        double s = 0;
        for (int i = 0; i < probabilities.length; i++) {
            double p = Math.min(Math.max(probabilities[i], 1e-12), 1 - 1e-12);
            s -= actual[i] ? Math.log(p) : Math.log(1 - p);
        }
        return probabilities.length == 0 ? 0 : s / probabilities.length;
    }
}
