package dev.graft.benchmarks.report;

import dev.graft.benchmarks.result.ModelRecord;
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
 * {@code engine=djl}, {@code device=cpu,threads=4}, {@code run=laptop,engine=ort}, {@code precision=fp32},
 * {@code arch=resnet50}, {@code model=resnet50}, or a bare engine name ({@code djl}) or precision ({@code fp32}).
 *
 * <p>Speed-ups compare like with like: each row is compared with a baseline row of the same network, batch size and
 * mode; where several rows match the selector, the one that agrees with the row on the most remaining dimensions (run,
 * engine, device, threads, precision) is used, and among those the one of the same model. "Same network" is
 * {@link ModelRecord#sameNetwork}: the same model (file digest, or name and input shape), or models with the same
 * {@code graft.arch}, input shape and number of outputs, such as the fp32 and int8 exports of one checkpoint. So
 * {@code precision=fp32} compares each int8 or fp16 row with the fp32 row of the same engine, device, threads, batch
 * and mode. Speed-up = baseline P50 / row P50, so 2.0 means twice as fast.
 *
 * <p>A selector that names a network ({@code arch=}, the model's {@code graft.arch}, or {@code model=}, its file name
 * without {@code .onnx}) asks for the comparison across networks that "same network" otherwise rules out: every other
 * network's row is compared with that network's row of the same batch size and mode, preferring the one that agrees
 * on run, engine, device, threads and precision. {@code arch=resnet50} over the fp32 and int8 exports of several
 * networks therefore compares each fp32 row with resnet50's fp32 row and each int8 row with resnet50's int8 row.
 */
public final class Baseline {
    /** The dimensions a configuration varies in, and on which a baseline row is preferred for agreeing. */
    private static final List<String> KEYS = List.of("run", "engine", "device", "threads", "precision");
    /** Keys that name a network: a selector with one of them compares across networks. */
    private static final List<String> NETWORK_KEYS = List.of("model", "arch");
    /** Bare selector values taken as a precision rather than an engine. */
    private static final List<String> PRECISIONS = List.of("fp32", "fp16", "int8");

    private final Map<String, String> selector;

    private Baseline(Map<String, String> selector) {
        this.selector = selector;
    }

    /**
     * The selector parsed: {@code key=value} pairs joined by commas, or a bare engine name ({@code djl}) or precision
     * ({@code fp32}).
     */
    public static Baseline parse(String text) {
        Map<String, String> s = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String key = eq < 0 ? (PRECISIONS.contains(p.toLowerCase(Locale.ROOT)) ? "precision" : "engine")
                : p.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = eq < 0 ? p : p.substring(eq + 1).strip();
            if (!KEYS.contains(key) && !NETWORK_KEYS.contains(key)) {
                throw new GraftException("--baseline keys are run, engine, device, threads, precision, model and arch,"
                    + " not '" + key + "'");
            }
            if (value.isEmpty()) {
                throw new GraftException("--baseline " + key + "= needs a value, e.g. " + key + "="
                    + (NETWORK_KEYS.contains(key) ? "resnet50" : "ort"));
            }
            s.put(key, switch (key) {
                case "device" -> dev.graft.benchmarks.engine.Devices.normalise(value);
                case "engine", "precision", "arch" -> value.toLowerCase(Locale.ROOT);
                default -> value;
            });
        }
        if (s.isEmpty()) {
            throw new GraftException("--baseline needs a selector such as engine=djl");
        }
        return new Baseline(s);
    }

    /**
     * The default: the run, engine, device and threads of the first configuration that ran, and its precision when the
     * rows differ in precision.
     */
    public static Baseline defaultFor(List<ReportRow> rows) {
        boolean precisions = rows.stream().map(ReportRow::precision).distinct().count() > 1;
        for (ReportRow r : rows) {
            if (r.ok()) {
                Map<String, String> s = new LinkedHashMap<>();
                KEYS.stream().filter(k -> precisions || !k.equals("precision")).forEach(k -> s.put(k, value(r, k)));
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

    /**
     * Whether the selector names a network ({@code arch=} or {@code model=}), so rows are compared across networks.
     */
    public boolean acrossNetworks() {
        return NETWORK_KEYS.stream().anyMatch(selector::containsKey);
    }

    /** What a speed-up compares, for the notes under tables and charts. */
    public String comparison() {
        return acrossNetworks() ? "same batch and mode, each network against the baseline's"
            : "same network, batch and mode";
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
            ReportRow best = baselineOf(r, rows);
            if (best != null) {
                out.put(r, best.result().latencyMs().p50() / r.result().latencyMs().p50());
            }
        }
        return out;
    }

    /**
     * The baseline row a row is compared with (null when none): of the rows that ran, match the selector and measured
     * the same network at the same batch size and mode, the one agreeing with {@code r} on the most dimensions the
     * selector leaves open, then the one of the same model, then the first.
     */
    public ReportRow baselineOf(ReportRow r, List<ReportRow> rows) {
        ReportRow best = null;
        int bestScore = -1;
        for (ReportRow b : rows) {
            if (!b.ok() || !matches(b) || !comparable(r, b)) {
                continue;
            }
            int score = 0;
            for (String k : KEYS) {
                if (!selector.containsKey(k) && value(r, k).equals(value(b, k))) {
                    score += 2;
                }
            }
            if (r.model().sameModel(b.model())) {
                score++;
            }
            if (score > bestScore) {
                best = b;
                bestScore = score;
            }
        }
        return best;
    }

    private boolean comparable(ReportRow a, ReportRow b) {
        return a.result().batch() == b.result().batch() && Objects.equals(a.result().mode(), b.result().mode())
            && (acrossNetworks() || a.model().sameNetwork(b.model()));
    }

    private static String value(ReportRow r, String key) {
        return switch (key) {
            case "run" -> r.run().label();
            case "engine" -> r.result().engine();
            case "device" -> r.result().device();
            case "threads" -> Integer.toString(r.result().threads());
            case "precision" -> r.precision();
            case "model" -> r.model().name();
            case "arch" -> r.model().arch() == null ? "" : r.model().arch().toLowerCase(Locale.ROOT);
            default -> throw new IllegalArgumentException(key);
        };
    }
}
