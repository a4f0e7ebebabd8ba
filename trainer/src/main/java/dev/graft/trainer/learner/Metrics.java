package dev.graft.trainer.learner;

import dev.graft.models.checkpoint.Task;
import java.util.List;

/** fastai's metrics for Graft's tasks, computed from the raw outputs of the validation batches. */
public final class Metrics {
    private Metrics() {
    }

    /** What Graft reports by default: accuracy and error_rate, accuracy_multi and f1_multi, nothing for regression. */
    public static List<Metric> forTask(Task task) {
        return switch (task) {
            case SINGLE_LABEL -> List.of(accuracy(), errorRate());
            case MULTI_LABEL -> List.of(accuracyMulti(Learner.THRESHOLD), f1Multi(Learner.THRESHOLD));
            case REGRESSION -> List.of();
        };
    }

    /** fastai's accuracy: the share of images whose highest score is their class. */
    public static Metric accuracy() {
        return new Accuracy("accuracy", false);
    }

    /** fastai's error_rate: 1 - accuracy. */
    public static Metric errorRate() {
        return new Accuracy("error_rate", true);
    }

    /** fastai's accuracy_multi(thresh, sigmoid=True): the share of (image, label) decisions that are right. */
    public static Metric accuracyMulti(double threshold) {
        return new Multi("accuracy_multi", threshold, false);
    }

    /** fastai's F1ScoreMulti (macro average over labels, sigmoid then threshold). */
    public static Metric f1Multi(double threshold) {
        return new Multi("f1_multi", threshold, true);
    }

    /** scikit-learn's f1_score(average='macro'), which fastai's F1ScoreMulti calls: a label never predicted nor
     * present scores 0. */
    static double macroF1(long[] tp, long[] fp, long[] fn) {
        double sum = 0;
        for (int j = 0; j < tp.length; j++) {
            long denominator = 2 * tp[j] + fp[j] + fn[j];
            sum += denominator == 0 ? 0 : 2.0 * tp[j] / denominator;
        }
        return tp.length == 0 ? Double.NaN : sum / tp.length;
    }

    static int argmax(float[] a, int from, int k) {
        int best = 0;
        for (int j = 1; j < k; j++) {
            if (a[from + j] > a[from + best]) {
                best = j;
            }
        }
        return best;
    }

    private static final class Accuracy implements Metric {
        private final String name;
        private final boolean error;
        private long correct;
        private long total;

        Accuracy(String name, boolean error) {
            this.name = name;
            this.error = error;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void beforeValidate(TrainingView v) {
            correct = 0;
            total = 0;
        }

        @Override
        public void afterLoss(TrainingView v) {
            if (v.training()) {
                return;
            }
            float[] out = v.output();
            int k = v.outputWidth();
            int[] idx = v.batch().classIndices();
            for (int i = 0; i < v.batchSize(); i++) {
                correct += argmax(out, i * k, k) == idx[i] ? 1 : 0;
            }
            total += v.batchSize();
        }

        @Override
        public double value() {
            double accuracy = total == 0 ? Double.NaN : (double) correct / total;
            return error ? 1 - accuracy : accuracy;
        }
    }

    private static final class Multi implements Metric {
        private final String name;
        private final double threshold;
        private final boolean f1;
        private long correct;
        private long total;
        private long[] tp = new long[0];
        private long[] fp = new long[0];
        private long[] fn = new long[0];

        Multi(String name, double threshold, boolean f1) {
            this.name = name;
            this.threshold = threshold;
            this.f1 = f1;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void beforeValidate(TrainingView v) {
            correct = 0;
            total = 0;
            int labels = v.labels().size();
            tp = new long[labels];
            fp = new long[labels];
            fn = new long[labels];
        }

        @Override
        public void afterLoss(TrainingView v) {
            if (v.training()) {
                return;
            }
            float[] out = v.output();
            int k = v.outputWidth();
            float[] t = v.batch().targets();
            for (int i = 0; i < out.length; i++) {
                boolean predicted = 1 / (1 + Math.exp(-out[i])) > threshold;
                boolean actual = t[i] > 0.5f;
                correct += predicted == actual ? 1 : 0;
                int label = i % k;
                tp[label] += predicted && actual ? 1 : 0;
                fp[label] += predicted && !actual ? 1 : 0;
                fn[label] += !predicted && actual ? 1 : 0;
            }
            total += out.length;
        }

        @Override
        public double value() {
            if (total == 0) {
                return Double.NaN;
            }
            return f1 ? macroF1(tp, fp, fn) : (double) correct / total;
        }
    }
}
