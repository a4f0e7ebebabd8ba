package dev.graft.benchmarks.stats;

import java.util.Arrays;

/**
 * Summary statistics of a latency sample, in milliseconds, computed the way ONNX Runtime's {@code onnxruntime_perf_test}
 * and MLPerf's LoadGen compute them, so figures from Graft can be set beside figures from those tools.
 *
 * <p>Percentiles are <b>nearest-rank on the sorted sample with the index rounded down</b>: the q-th percentile of n
 * values is {@code sorted[floor(n * q)]} (clamped to the last value). Both tools do exactly this; it never interpolates,
 * so every reported percentile is a latency that was actually observed. The standard deviation is the sample standard
 * deviation (divisor n - 1), zero for a single value.
 *
 * @param count number of latencies
 * @param min fastest
 * @param max slowest
 * @param mean arithmetic mean
 * @param stddev sample standard deviation
 * @param p50 median (perf_test's "P50 Latency")
 * @param p90 90th percentile; at batch 1 this is MLPerf's single-stream metric
 * @param p95 95th percentile
 * @param p99 99th percentile
 * @param p999 99.9th percentile (perf_test's "P999 Latency")
 */
public record LatencyStats(int count, double min, double max, double mean, double stddev, double p50, double p90,
                           double p95, double p99, double p999) {

    /** Statistics of latencies given in nanoseconds, reported in milliseconds. */
    public static LatencyStats ofNanos(long[] nanos) {
        double[] ms = new double[nanos.length];
        for (int i = 0; i < nanos.length; i++) {
            ms[i] = nanos[i] / 1e6;
        }
        return ofMillis(ms);
    }

    /** Statistics of latencies in milliseconds; the array is not modified. */
    public static LatencyStats ofMillis(double[] millis) {
        if (millis.length == 0) {
            throw new IllegalArgumentException("no latencies to summarise");
        }
        double[] s = millis.clone();
        Arrays.sort(s);
        double sum = 0;
        for (double v : s) {
            sum += v;
        }
        double mean = sum / s.length;
        double sq = 0;
        for (double v : s) {
            sq += (v - mean) * (v - mean);
        }
        double stddev = s.length > 1 ? Math.sqrt(sq / (s.length - 1)) : 0;
        return new LatencyStats(s.length, s[0], s[s.length - 1], mean, stddev, percentile(s, 0.50),
            percentile(s, 0.90), percentile(s, 0.95), percentile(s, 0.99), percentile(s, 0.999));
    }

    /** {@code sorted[floor(n * q)]}, clamped: perf_test's and LoadGen's definition. */
    public static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("percentile must be in [0, 1], not " + q);
        }
        int index = (int) Math.floor(sorted.length * q);
        return sorted[Math.min(index, sorted.length - 1)];
    }
}
