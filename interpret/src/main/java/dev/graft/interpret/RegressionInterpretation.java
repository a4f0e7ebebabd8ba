package dev.graft.interpret;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Regression interpretation, streaming: MAE, RMSE and R² per output (running sums and Welford's variance of the actual
 * values), the largest absolute errors, and a uniform random sample of at most {@code sampleSize} images (reservoir
 * sampling, fixed seed) for the predicted-against-actual scatter and the residual plot.
 */
public final class RegressionInterpretation {
    private final List<String> outputs;
    private final int sampleSize;
    private final double[] absSum;
    private final double[] sqSum;
    private final double[] mean;
    private final double[] m2;
    private final List<float[][]> sample = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom(42);
    private final TopLosses topLosses;
    private final Unreadable unreadable = new Unreadable();
    private long count;

    public RegressionInterpretation(List<String> outputs, int topLosses, int sampleSize) {
        if (outputs.isEmpty()) {
            throw new InterpretException("regression interpretation needs at least one output");
        }
        this.outputs = List.copyOf(outputs);
        this.sampleSize = sampleSize;
        int n = outputs.size();
        absSum = new double[n];
        sqSum = new double[n];
        mean = new double[n];
        m2 = new double[n];
        this.topLosses = new TopLosses(topLosses);
    }

    /** One image: the model's values and the true ones, in output order. */
    public void add(String file, float[] predicted, float[] actual) {
        if (predicted.length != outputs.size() || actual.length != outputs.size()) {
            throw new IllegalArgumentException("expected " + outputs.size() + " values");
        }
        count++;
        double worst = 0;
        for (int o = 0; o < outputs.size(); o++) {
            double e = predicted[o] - (double) actual[o];
            absSum[o] += Math.abs(e);
            sqSum[o] += e * e;
            double d = actual[o] - mean[o];
            mean[o] += d / count;
            m2[o] += d * (actual[o] - mean[o]);
            worst = Math.max(worst, Math.abs(e));
        }
        float[][] pair = {predicted.clone(), actual.clone()};
        if (sample.size() < sampleSize) {
            sample.add(pair);
        } else if (sampleSize > 0) {
            long j = random.nextLong(count);
            if (j < sampleSize) {
                sample.set((int) j, pair);
            }
        }
        topLosses.offer(file, join(actual), join(predicted), worst, Double.NaN);
    }

    private static String join(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (float f : v) {
            sb.append(sb.length() == 0 ? "" : ", ").append(HtmlReport.number(f));
        }
        return sb.toString();
    }

    public void unreadable(String file, String reason) {
        unreadable.add(file, reason);
    }

    /** One output's errors. */
    public record OutputMetrics(String output, double mae, double rmse, double r2) {
    }

    public List<OutputMetrics> metrics() {
        List<OutputMetrics> out = new ArrayList<>();
        for (int o = 0; o < outputs.size(); o++) {
            double mae = count == 0 ? 0 : absSum[o] / count;
            double rmse = count == 0 ? 0 : Math.sqrt(sqSum[o] / count);
            double r2 = m2[o] == 0 ? Double.NaN : 1 - sqSum[o] / m2[o];
            out.add(new OutputMetrics(outputs.get(o), mae, rmse, r2));
        }
        return out;
    }

    /** The kept sample: each element {predicted, actual}. */
    public List<float[][]> sample() {
        return List.copyOf(sample);
    }

    public List<String> outputs() {
        return outputs;
    }

    public TopLosses topLosses() {
        return topLosses;
    }

    public Unreadable unreadable() {
        return unreadable;
    }

    public long count() {
        return count;
    }
}
