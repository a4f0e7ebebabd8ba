package dev.graft.interpret;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-class precision, recall, F1 and support with their macro and support-weighted averages, computed as
 * scikit-learn's {@code classification_report} does: over the classes that occur among the actual or the predicted
 * labels, and a ratio with a zero denominator counts as 0 and is named in {@link #warnings()} (scikit-learn's default
 * {@code zero_division="warn"}).
 */
public record ClassificationReport(List<ClassMetrics> classes, double accuracy, Average macro, Average weighted,
                                   long total, List<String> warnings) {

    /** One class's row. */
    public record ClassMetrics(String label, double precision, double recall, double f1, long support) {
    }

    /** An average row: the three ratios and the total support. */
    public record Average(double precision, double recall, double f1, long support) {
    }

    /** The report of a confusion matrix. */
    public static ClassificationReport of(ConfusionMatrix m) {
        List<String> names = m.classes();
        List<ClassMetrics> rows = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            long tp = m.count(c, c);
            long support = m.rowSum(c);
            long predicted = m.columnSum(c);
            if (support == 0 && predicted == 0) {
                continue; // scikit-learn reports only labels present in y_true or y_pred
            }
            double precision = ratio(tp, predicted, "precision", names.get(c), "predicted", warnings);
            double recall = ratio(tp, support, "recall", names.get(c), "actual", warnings);
            long f1Denominator = 2 * tp + (predicted - tp) + (support - tp);
            double f1 = f1Denominator == 0 ? 0 : 2.0 * tp / f1Denominator;
            rows.add(new ClassMetrics(names.get(c), precision, recall, f1, support));
        }
        long total = m.total();
        double sp = 0;
        double sr = 0;
        double sf = 0;
        double wp = 0;
        double wr = 0;
        double wf = 0;
        for (ClassMetrics r : rows) {
            sp += r.precision();
            sr += r.recall();
            sf += r.f1();
            wp += r.precision() * r.support();
            wr += r.recall() * r.support();
            wf += r.f1() * r.support();
        }
        int k = Math.max(rows.size(), 1);
        Average macro = new Average(sp / k, sr / k, sf / k, total);
        Average weighted = total == 0 ? new Average(0, 0, 0, 0)
                : new Average(wp / total, wr / total, wf / total, total);
        double accuracy = total == 0 ? 0 : m.correct() / (double) total;
        return new ClassificationReport(List.copyOf(rows), accuracy, macro, weighted, total, List.copyOf(warnings));
    }

    private static double ratio(long tp, long denominator, String what, String label, String side, List<String> warnings) {
        if (denominator == 0) {
            warnings.add(what + " of '" + label + "' is set to 0: no " + side + " samples");
            return 0;
        }
        return tp / (double) denominator;
    }
}
