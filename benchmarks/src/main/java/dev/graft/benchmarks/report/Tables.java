package dev.graft.benchmarks.report;

import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.benchmarks.result.ModelRecord;
import dev.graft.benchmarks.stats.LatencyStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The summary table as CSV (for spreadsheets) and Markdown (for READMEs and pull requests): the same rows and
 * figures as the HTML report's table.
 */
public final class Tables {
    private Tables() {
    }

    /** CSV with a header row, RFC 4180 quoting, latencies in milliseconds, one row per configuration. */
    public static String csv(List<BenchRun> runs, Baseline baseline) {
        List<ReportRow> rows = ReportRow.of(runs);
        Baseline b = baseline == null ? Baseline.defaultFor(rows) : baseline;
        Map<ReportRow, Double> speedups = b.speedups(rows);
        StringBuilder sb = new StringBuilder();
        sb.append("run,model,precision,model_bytes,engine,device,device_used,threads,batch,mode,status,session_creation_ms,first_inference_ms,"
            + "runs,min_ms,p50_ms,p90_ms,p95_ms,p99_ms,p999_ms,max_ms,mean_ms,stddev_ms,inferences_per_s,images_per_s,"
            + "mlperf_single_stream_p90_ms,peak_rss_mb,cpu_percent,cores_busy,load_before,load_after,speedup,reason\n");
        for (ReportRow r : rows) {
            ConfigResult c = r.result();
            LatencyStats s = c.latencyMs();
            List<String> f = new ArrayList<>();
            f.add(r.run().label());
            f.add(r.model().name());
            f.add(r.precision());
            f.add(Long.toString(r.model().bytes()));
            f.add(c.engine());
            f.add(c.device());
            f.add(c.deviceUsed());
            f.add(Integer.toString(c.threads()));
            f.add(Integer.toString(c.batch()));
            f.add(c.mode());
            f.add(c.status());
            f.add(raw(c.sessionCreationMs()));
            f.add(raw(c.firstInferenceMs()));
            f.add(c.totalInferenceRequests() == null ? "" : c.totalInferenceRequests().toString());
            f.add(s == null ? "" : raw(s.min()));
            f.add(s == null ? "" : raw(s.p50()));
            f.add(s == null ? "" : raw(s.p90()));
            f.add(s == null ? "" : raw(s.p95()));
            f.add(s == null ? "" : raw(s.p99()));
            f.add(s == null ? "" : raw(s.p999()));
            f.add(s == null ? "" : raw(s.max()));
            f.add(s == null ? "" : raw(s.mean()));
            f.add(s == null ? "" : raw(s.stddev()));
            f.add(raw(c.inferencesPerSecond()));
            f.add(raw(c.imagesPerSecond()));
            f.add(raw(c.mlperfSingleStreamP90Ms()));
            f.add(Fmt.mb(c.peakWorkingSetBytes()));
            f.add(raw(c.avgCpuUsagePercent()));
            f.add(raw(c.coresBusy()));
            f.add(raw(c.loadAverageBefore()));
            f.add(raw(c.loadAverageAfter()));
            f.add(raw(speedups.get(r)));
            f.add(c.reason());
            for (int i = 0; i < f.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(csvField(f.get(i)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** A GitHub-flavoured Markdown table of the main figures, skipped and failed rows with their reason. */
    public static String markdown(List<BenchRun> runs, Baseline baseline) {
        List<ReportRow> rows = ReportRow.of(runs);
        Baseline b = baseline == null ? Baseline.defaultFor(rows) : baseline;
        Map<ReportRow, Double> speedups = b.speedups(rows);
        StringBuilder sb = new StringBuilder();
        sb.append("| Configuration | Model | Precision | P50 ms | P90 ms | P99 ms | Mean ± sd ms | Images/s | Session ms | First ms"
            + " | Peak RSS MB | CPU % | Speed-up |\n");
        sb.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (ReportRow r : rows) {
            ConfigResult c = r.result();
            sb.append("| ").append(md(r.label())).append(" | ").append(md(r.model().name())).append(" | ")
                .append(md(r.precision())).append(" | ");
            if (!c.ok()) {
                sb.append(c.status()).append(": ").append(md(c.reason())).append(" | | | | | | | | | |\n");
                continue;
            }
            LatencyStats s = c.latencyMs();
            Double up = speedups.get(r);
            sb.append(Fmt.num(s.p50())).append(" | ").append(Fmt.num(s.p90())).append(" | ").append(Fmt.num(s.p99()))
                .append(" | ").append(Fmt.num(s.mean())).append(" ± ").append(Fmt.num(s.stddev())).append(" | ")
                .append(Fmt.num(c.imagesPerSecond())).append(" | ").append(Fmt.num(c.sessionCreationMs())).append(" | ")
                .append(Fmt.num(c.firstInferenceMs())).append(" | ").append(Fmt.mb(c.peakWorkingSetBytes())).append(" | ")
                .append(Fmt.num(c.avgCpuUsagePercent())).append(" | ")
                .append(up == null ? (b.matches(r) ? "baseline" : "") : String.format(Locale.ROOT, "%.2f×", up))
                .append(" |\n");
        }
        sb.append("\nSpeed-up: P50 of the baseline (").append(md(b.describe()))
            .append(") / P50, ").append(b.comparison()).append(".\n");
        List<String> sizes = modelSizes(runs);
        if (sizes.size() > 1) {
            sb.append("\nModels: ").append(md(String.join("; ", sizes))).append(".\n");
        }
        return sb.toString();
    }

    /**
     * Each distinct model once: name, precision and file size, with the size relative to the fp32 model of the same
     * network when there is one ({@code resnet18-int8: int8, 13.4 MB (0.29x resnet18)}).
     */
    static List<String> modelSizes(List<BenchRun> runs) {
        List<ModelRecord> models = new ArrayList<>();
        for (BenchRun run : runs) {
            if (models.stream().noneMatch(m -> m.sameModel(run.model()))) {
                models.add(run.model());
            }
        }
        List<String> out = new ArrayList<>();
        for (ModelRecord m : models) {
            String text = m.name() + ": " + m.precisionOrFp32() + ", " + String.format(Locale.ROOT, "%.1f MB", m.bytes() / 1e6);
            if (!"fp32".equals(m.precisionOrFp32())) {
                for (ModelRecord f : models) {
                    if (f != m && "fp32".equals(f.precisionOrFp32()) && f.sameNetwork(m) && f.bytes() > 0) {
                        text += String.format(Locale.ROOT, " (%.2fx %s)", m.bytes() / (double) f.bytes(), f.name());
                        break;
                    }
                }
            }
            out.add(text);
        }
        return out;
    }

    private static String raw(Double v) {
        if (v == null) {
            return "";
        }
        if (v.isNaN() || v.isInfinite()) {
            return "";
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    private static String csvField(String s) {
        if (s == null) {
            return "";
        }
        if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    /**
     * Text from results files (labels, model names, reasons) as inert Markdown: Markdown renders inline HTML, so a
     * label such as {@code <img src=x onerror=...>} would run in whatever page shows the table. {@code < > &} become
     * entities (which every renderer decodes and none executes), the characters that start emphasis, code, links,
     * strike-through or a cell are backslash-escaped, and line breaks become spaces so that a row stays one row.
     */
    static String md(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '_' -> {
                    // between two letters or digits an underscore can neither open nor close emphasis (CommonMark's
                    // flanking rules), so names such as resnet18_64 stay as typed
                    boolean intraword = i > 0 && i + 1 < s.length() && Character.isLetterOrDigit(s.charAt(i - 1))
                        && Character.isLetterOrDigit(s.charAt(i + 1));
                    b.append(intraword ? "_" : "\\_");
                }
                case '\\', '`', '*', '[', ']', '|', '~', '!' -> b.append('\\').append(c);
                case '\n', '\r' -> b.append(' ');
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
