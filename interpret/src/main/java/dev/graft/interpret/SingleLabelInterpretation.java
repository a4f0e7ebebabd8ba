package dev.graft.interpret;

import java.util.List;

/**
 * fastai's {@code ClassificationInterpretation}, streaming: feed each image's probabilities and true class, then read
 * the confusion matrix, classification report, top-k accuracy, top losses and reliability diagram. Memory holds the
 * {@code n x n} counts, {@value Reliability#BINS} bins and the top losses only.
 */
public final class SingleLabelInterpretation {
    /** The largest k reported by top-k accuracy. */
    public static final int MAX_TOP_K = 5;

    private final List<String> classes;
    private final ConfusionMatrix confusion;
    private final Reliability reliability = new Reliability();
    private final TopLosses topLosses;
    private final long[] withinTopK;
    private final Unreadable unreadable = new Unreadable();
    private double lossSum;

    public SingleLabelInterpretation(List<String> classes, int topLosses) {
        if (classes.size() < 2) {
            throw new InterpretException("single-label interpretation needs at least two classes, not " + classes.size());
        }
        this.classes = List.copyOf(classes);
        this.confusion = new ConfusionMatrix(classes);
        this.topLosses = new TopLosses(topLosses);
        this.withinTopK = new long[Math.min(MAX_TOP_K, classes.size())];
    }

    /**
     * One image.
     *
     * @param probabilities the model's probabilities in class order (softmax output)
     * @param actual the true class's index
     */
    public void add(String file, float[] probabilities, int actual) {
        if (probabilities.length != classes.size()) {
            throw new IllegalArgumentException(probabilities.length + " probabilities for " + classes.size() + " classes");
        }
        int predicted = Softmax.argmax(probabilities);
        confusion.add(actual, predicted);
        float pTrue = probabilities[actual];
        int rank = 0;
        for (int i = 0; i < probabilities.length; i++) {
            if (probabilities[i] > pTrue || (probabilities[i] == pTrue && i < actual)) {
                rank++;
            }
        }
        for (int k = rank; k < withinTopK.length; k++) {
            withinTopK[k]++;
        }
        double loss = TopLosses.crossEntropy(pTrue);
        lossSum += loss;
        reliability.add(probabilities[predicted], predicted == actual);
        topLosses.offer(file, classes.get(actual), classes.get(predicted), loss, probabilities[predicted]);
    }

    /** An image that could not be read: listed, not counted in any metric. */
    public void unreadable(String file, String reason) {
        unreadable.add(file, reason);
    }

    public List<String> classes() {
        return classes;
    }

    public ConfusionMatrix confusion() {
        return confusion;
    }

    public ClassificationReport report() {
        return ClassificationReport.of(confusion);
    }

    /** Share of images whose true class is among the top {@code k} (k = 1 .. min(5, classes)), index k - 1. */
    public double[] topKAccuracy() {
        long n = confusion.total();
        double[] out = new double[withinTopK.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = n == 0 ? 0 : withinTopK[k] / (double) n;
        }
        return out;
    }

    /** Mean cross-entropy over the images, as fastai's validation loss (with the 1e-12 floor). */
    public double meanLoss() {
        long n = confusion.total();
        return n == 0 ? 0 : lossSum / n;
    }

    public TopLosses topLosses() {
        return topLosses;
    }

    public Reliability reliability() {
        return reliability;
    }

    public Unreadable unreadable() {
        return unreadable;
    }

    public long count() {
        return confusion.total();
    }
}
