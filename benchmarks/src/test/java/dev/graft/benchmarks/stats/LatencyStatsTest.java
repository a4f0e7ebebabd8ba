package dev.graft.benchmarks.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Statistics against values worked out by hand on small, known samples. */
class LatencyStatsTest {
    private static final double EPS = 1e-12;

    @Test
    void fiveValuesInAnyOrder() {
        // sorted 1 2 3 4 5; index floor(5q): p50 -> 2 (3), p90 -> 4 (5), p95 -> 4, p99 -> 4, p99.9 -> 4
        // mean 3; squared deviations 4+1+0+1+4 = 10; sample variance 10/4 = 2.5
        LatencyStats s = LatencyStats.ofMillis(new double[] {5, 1, 3, 2, 4});
        assertThat(s.count()).isEqualTo(5);
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.max()).isEqualTo(5);
        assertThat(s.mean()).isCloseTo(3, within(EPS));
        assertThat(s.stddev()).isCloseTo(Math.sqrt(2.5), within(EPS));
        assertThat(s.p50()).isEqualTo(3);
        assertThat(s.p90()).isEqualTo(5);
        assertThat(s.p95()).isEqualTo(5);
        assertThat(s.p99()).isEqualTo(5);
        assertThat(s.p999()).isEqualTo(5);
    }

    @Test
    void evenCountTakesTheUpperMiddleNotTheAverage() {
        // perf_test and LoadGen never interpolate: the median of 1 2 3 4 is sorted[2] = 3, not 2.5
        LatencyStats s = LatencyStats.ofMillis(new double[] {4, 2, 1, 3});
        assertThat(s.p50()).isEqualTo(3);
        assertThat(s.p90()).isEqualTo(4); // floor(3.6) = 3
        assertThat(s.mean()).isCloseTo(2.5, within(EPS));
        assertThat(s.stddev()).isCloseTo(Math.sqrt(5.0 / 3), within(EPS)); // (2.25+0.25+0.25+2.25)/3
    }

    @Test
    void oneToTenMilliseconds() {
        // p50 -> index 5 (6), p90 -> 9 (10); mean 5.5; sum of squared deviations 82.5, variance 82.5/9
        double[] v = new double[10];
        for (int i = 0; i < 10; i++) {
            v[i] = 10 - i;
        }
        LatencyStats s = LatencyStats.ofMillis(v);
        assertThat(s.p50()).isEqualTo(6);
        assertThat(s.p90()).isEqualTo(10);
        assertThat(s.mean()).isCloseTo(5.5, within(EPS));
        assertThat(s.stddev()).isCloseTo(Math.sqrt(82.5 / 9), within(EPS));
        assertThat(v[0]).as("input untouched").isEqualTo(10);
    }

    @Test
    void aThousandShuffledValues() {
        // 1..1000: p50 -> index 500 (501), p90 -> 900 (901), p95 -> 950 (951), p99 -> 990 (991), p99.9 -> 999 (1000)
        // mean 500.5; population variance (n^2 - 1)/12, sample variance that * n/(n-1) = n(n+1)/12 = 83416.67
        List<Double> values = new ArrayList<>();
        for (int i = 1; i <= 1000; i++) {
            values.add((double) i);
        }
        Collections.shuffle(values, new Random(7));
        LatencyStats s = LatencyStats.ofMillis(values.stream().mapToDouble(Double::doubleValue).toArray());
        assertThat(s.p50()).isEqualTo(501);
        assertThat(s.p90()).isEqualTo(901);
        assertThat(s.p95()).isEqualTo(951);
        assertThat(s.p99()).isEqualTo(991);
        assertThat(s.p999()).isEqualTo(1000);
        assertThat(s.mean()).isCloseTo(500.5, within(1e-9));
        assertThat(s.stddev()).isCloseTo(Math.sqrt(1000.0 * 1001 / 12), within(1e-9));
    }

    @Test
    void nanosecondsBecomeMilliseconds() {
        LatencyStats s = LatencyStats.ofNanos(new long[] {1_500_000, 2_000_000, 4_250_000});
        assertThat(s.min()).isEqualTo(1.5);
        assertThat(s.p50()).isEqualTo(2.0);
        assertThat(s.max()).isEqualTo(4.25);
        assertThat(s.mean()).isCloseTo(7.75 / 3, within(EPS));
    }

    @Test
    void oneValueHasNoSpread() {
        LatencyStats s = LatencyStats.ofMillis(new double[] {7});
        assertThat(s.stddev()).isZero();
        assertThat(s.p50()).isEqualTo(7);
        assertThat(s.p999()).isEqualTo(7);
    }

    @Test
    void nothingToSummariseIsAnError() {
        assertThatThrownBy(() -> LatencyStats.ofMillis(new double[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LatencyStats.percentile(new double[] {1}, 1.5))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
