package dev.graft.cli;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The server's counters in Prometheus' text format (version 0.0.4), kept by hand: a handful of counters and gauges do
 * not justify a client library, and every update is a lock-free add.
 *
 * <ul>
 *   <li>{@code graft_requests_total{path, code}}: requests answered, by path and status code.</li>
 *   <li>{@code graft_predict_duration_seconds}: histogram of {@code /predict} latency, from the request being admitted to
 *       the response being written.</li>
 *   <li>{@code graft_requests_in_flight}: requests being handled now.</li>
 *   <li>{@code graft_client_disconnects_total{phase}}: clients that went away before their response was delivered.
 *       {@code body}: while sending the body; such a request gets no answer and is not in
 *       {@code graft_requests_total}. {@code response}: the answer was given (and counted there under its own status)
 *       but could not be written. A client leaving is never counted as an error of the server.</li>
 *   <li>{@code graft_client_timeouts_total{phase}}: connections closed because a request's {@code headers} or
 *       {@code body} did not arrive in time.</li>
 *   <li>{@code graft_idle_connections_closed_total}: connections closed after sending nothing for the header
 *       timeout.</li>
 *   <li>{@code graft_connections_open}: connections open now.</li>
 *   <li>{@code graft_decode_budget_bytes}, {@code graft_decode_in_use_bytes}: the decoding budget and how much of it
 *       running decodes hold; {@code graft_decode_refused_total}: images answered 503 because no room came in
 *       time.</li>
 * </ul>
 */
final class ServerMetrics {
    static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length + 1);
    private final DoubleAdder latencySum = new DoubleAdder();
    private final LongAdder latencyCount = new LongAdder();
    final AtomicInteger inFlight = new AtomicInteger();
    private final Map<String, LongAdder> disconnects = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> timeouts = new ConcurrentHashMap<>();
    private final LongAdder idleClosed = new LongAdder();
    private final LongAdder decodeRefused = new LongAdder();
    private volatile IntSupplier openConnections = () -> 0;
    private volatile DecodeBudget budget;

    void disconnected(String phase) {
        disconnects.computeIfAbsent(phase, k -> new LongAdder()).increment();
    }

    void timedOut(String phase) {
        timeouts.computeIfAbsent(phase, k -> new LongAdder()).increment();
    }

    void idleClosed() {
        idleClosed.increment();
    }

    void decodeRefused() {
        decodeRefused.increment();
    }

    void openConnections(IntSupplier open) {
        this.openConnections = open;
    }

    void decodeBudget(DecodeBudget b) {
        this.budget = b;
    }

    /** Clients that went away during {@code phase} ({@code body} or {@code response}). */
    long disconnects(String phase) {
        LongAdder a = disconnects.get(phase);
        return a == null ? 0 : a.sum();
    }

    /** Connections closed because the {@code phase} ({@code headers} or {@code body}) did not arrive in time. */
    long timeouts(String phase) {
        LongAdder a = timeouts.get(phase);
        return a == null ? 0 : a.sum();
    }

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

    private static void labelled(StringBuilder b, String name, Map<String, LongAdder> counts, String... phases) {
        for (String phase : phases) {
            LongAdder a = counts.get(phase);
            b.append(name).append("{phase=\"").append(phase).append("\"} ").append(a == null ? 0 : a.sum())
                    .append('\n');
        }
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
        b.append("# HELP graft_client_disconnects_total Clients that went away before their response was delivered.\n");
        b.append("# TYPE graft_client_disconnects_total counter\n");
        labelled(b, "graft_client_disconnects_total", disconnects, "body", "response");
        b.append("# HELP graft_client_timeouts_total Connections closed because a request's headers or body came too"
                + " late.\n");
        b.append("# TYPE graft_client_timeouts_total counter\n");
        labelled(b, "graft_client_timeouts_total", timeouts, "headers", "body");
        b.append("# HELP graft_idle_connections_closed_total Connections closed after sending nothing for the header"
                + " timeout.\n");
        b.append("# TYPE graft_idle_connections_closed_total counter\n");
        b.append("graft_idle_connections_closed_total ").append(idleClosed.sum()).append('\n');
        b.append("# HELP graft_connections_open Connections open now.\n");
        b.append("# TYPE graft_connections_open gauge\n");
        b.append("graft_connections_open ").append(openConnections.getAsInt()).append('\n');
        DecodeBudget d = budget;
        if (d != null) {
            b.append("# HELP graft_decode_budget_bytes Memory that image decoding may hold at once.\n");
            b.append("# TYPE graft_decode_budget_bytes gauge\n");
            b.append("graft_decode_budget_bytes ").append(d.budget()).append('\n');
            b.append("# HELP graft_decode_in_use_bytes Memory of the decoding budget held by running decodes.\n");
            b.append("# TYPE graft_decode_in_use_bytes gauge\n");
            b.append("graft_decode_in_use_bytes ").append(d.inUse()).append('\n');
        }
        b.append("# HELP graft_decode_refused_total Images answered 503 because the decoding budget had no room in"
                + " time.\n");
        b.append("# TYPE graft_decode_refused_total counter\n");
        b.append("graft_decode_refused_total ").append(decodeRefused.sum()).append('\n');
        return b.toString();
    }
}
