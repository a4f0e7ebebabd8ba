package dev.graft.benchmarks.report;

import dev.graft.models.GraftException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The configuration others are compared with in speed-up charts, chosen by what it is rather than by position:
 * {@code engine=djl}, {@code device=cpu,threads=4}, {@code run=laptop,engine=ort}, or a bare engine name ({@code djl}).
 *
 * <p>Speed-ups compare like with like: each row is compared with the baseline row of the same model, batch size and
 * mode; where several rows match the selector, the one that agrees with the row on the most remaining dimensions (run,
 * engine, device, threads) is used. "Same model" means the same file digest, or the same name and input shape (one model
 * exported twice, or copied between machines). Speed-up = baseline P50 / row P50, so 2.0 means twice as fast.
 */
public final class Baseline {
    private static final List<String> KEYS = List.of("run", "engine", "device", "threads");

    private final Map<String, String> selector;

    private Baseline(Map<String, String> selector) {
        this.selector = selector;
    }

    /** The selector parsed: {@code key=value} pairs joined by commas, or a bare engine name. */
    public static Baseline parse(String text) {
        Map<String, String> s = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String key = eq < 0 ? "engine" : p.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = eq < 0 ? p : p.substring(eq + 1).strip();
            if (!KEYS.contains(key)) {
                throw new GraftException("--baseline keys are run, engine, device and threads, not '" + key + "'");
            }
            s.put(key, key.equals("device") ? dev.graft.benchmarks.engine.Devices.normalise(value) : value);
        }
        if (s.isEmpty()) {
            throw new GraftException("--baseline needs a selector such as engine=djl");
        }
        return new Baseline(s);
    }

    /** The default: the run, engine, device and threads of the first configuration that ran. */
    public static Baseline defaultFor(List<ReportRow> rows) {
        for (ReportRow r : rows) {
            if (r.ok()) {
                Map<String, String> s = new LinkedHashMap<>();
                KEYS.forEach(k -> s.put(k, value(r, k)));
                return new Baseline(s);
            }
        }
        return new Baseline(Map.of("engine", "ort"));
    }

    /** For reports: {@code engine=djl, device=cpu}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        selector.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(", ", parts);
    }

    /** Whether a row is a baseline row. */
    public boolean matches(ReportRow row) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(value(row, e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Speed-up of every row that ran and has a baseline to compare with; baseline rows themselves are left out. */
    public Map<ReportRow, Double> speedups(List<ReportRow> rows) {
        Map<ReportRow, Double> out = new IdentityHashMap<>();
        for (ReportRow r : rows) {
            if (!r.ok() || matches(r)) {
                continue;
            }
            ReportRow best = null;
            int bestScore = -1;
            for (ReportRow b : rows) {
                if (!b.ok() || !matches(b) || !sameComparison(r, b)) {
                    continue;
                }
                int score = 0;
                for (String k : KEYS) {
                    if (!selector.containsKey(k) && value(r, k).equals(value(b, k))) {
                        score++;
                    }
                }
                if (score > bestScore) {
                    best = b;
                    bestScore = score;
                }
            }
            if (best != null) {
                out.put(r, best.result().latencyMs().p50() / r.result().latencyMs().p50());
            }
        }
        return out;
    }

    /** The baseline row a row is compared with (null when none). */
    public ReportRow baselineOf(ReportRow r, List<ReportRow> rows) {
        for (ReportRow b : rows) {
            if (b.ok() && matches(b) && sameComparison(r, b)) {
                return b;
            }
        }
        return null;
    }

    private static boolean sameComparison(ReportRow a, ReportRow b) {
        return a.result().batch() == b.result().batch() && Objects.equals(a.result().mode(), b.result().mode())
            && (Objects.equals(a.run().model().sha256(), b.run().model().sha256())
                || (Objects.equals(a.run().model().name(), b.run().model().name())
                    && Objects.equals(a.run().model().input(), b.run().model().input())));
    }

    private static String value(ReportRow r, String key) {
        return switch (key) {
            case "run" -> r.run().label();
            case "engine" -> r.result().engine();
            case "device" -> r.result().device();
            case "threads" -> Integer.toString(r.result().threads());
            default -> throw new IllegalArgumentException(key);
        };
    }
}
