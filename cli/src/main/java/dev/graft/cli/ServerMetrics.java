package dev.graft.cli;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counters in Prometheus' text format (version 0.0.4), kept by hand: three metric families do not justify a
 * client library, and every update is a lock-free add.
 *
 * <ul>
 *   <li>{@code graft_requests_total{path, code}}: requests answered, by path and status code.</li>
 *   <li>{@code graft_predict_duration_seconds}: histogram of {@code /predict} latency, from the request being admitted to
 *       the response being written.</li>
 *   <li>{@code graft_requests_in_flight}: requests being handled now.</li>
 * </ul>
 */
final class ServerMetrics {
    static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length + 1);
    private final DoubleAdder latencySum = new DoubleAdder();
    private final LongAdder latencyCount = new LongAdder();
    final AtomicInteger inFlight = new AtomicInteger();

    void answered(String path, int code) {
        requests.computeIfAbsent(path + "\u0000" + code, k -> new LongAdder()).increment();
    }

    void predictLatency(double seconds) {
        int i = 0;
        while (i < BUCKETS.length && seconds > BUCKETS[i]) {
            i++;
        }
        buckets.incrementAndGet(i);
        latencySum.add(seconds);
        latencyCount.increment();
    }

    /** How many requests to {@code path} were answered with {@code code}. */
    long count(String path, int code) {
        LongAdder a = requests.get(path + "\u0000" + code);
        return a == null ? 0 : a.sum();
    }

    String prometheus() {
        StringBuilder b = new StringBuilder();
        b.append("# HELP graft_requests_total Requests answered, by path and HTTP status code.\n");
        b.append("# TYPE graft_requests_total counter\n");
        new TreeMap<>(requests).forEach((k, v) -> {
            String[] pc = k.split("\u0000");
            b.append("graft_requests_total{path=\"").append(pc[0]).append("\",code=\"").append(pc[1]).append("\"} ")
                    .append(v.sum()).append('\n');
        });
        b.append("# HELP graft_predict_duration_seconds Time to answer POST /predict, decoding included.\n");
        b.append("# TYPE graft_predict_duration_seconds histogram\n");
        long cumulative = 0;
        for (int i = 0; i <= BUCKETS.length; i++) {
            cumulative += buckets.get(i);
            String le = i < BUCKETS.length ? String.format(Locale.ROOT, "%s", BUCKETS[i]) : "+Inf";
            b.append("graft_predict_duration_seconds_bucket{le=\"").append(le).append("\"} ").append(cumulative)
                    .append('\n');
        }
        b.append("graft_predict_duration_seconds_sum ").append(String.format(Locale.ROOT, "%.6f", latencySum.sum()))
                .append('\n');
        b.append("graft_predict_duration_seconds_count ").append(latencyCount.sum()).append('\n');
        b.append("# HELP graft_requests_in_flight Requests being handled now.\n");
        b.append("# TYPE graft_requests_in_flight gauge\n");
        b.append("graft_requests_in_flight ").append(inFlight.get()).append('\n');
        return b.toString();
    }
}
