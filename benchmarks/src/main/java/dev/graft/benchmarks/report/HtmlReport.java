package dev.graft.benchmarks.report;

import dev.graft.benchmarks.result.BenchResults;
import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.benchmarks.stats.LatencyStats;
import dev.graft.benchmarks.system.MachineInfo;
import dev.graft.models.GraftVersion;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The benchmark report: one self-contained HTML file that people can open, mail and archive.
 *
 * <p>Everything is inline (CSS, SVG charts, a few lines of script that make the table sortable), and nothing is
 * fetched, so the file renders the same offline, years later. It shows: the machines and models, the summary table,
 * the latency percentiles of every configuration side by side, each configuration's latency distribution, throughput
 * against batch size, and speed-up bars against a chosen baseline. The CSV and Markdown tables ({@link Tables}) hold the
 * same figures for spreadsheets and READMEs.
 */
public final class HtmlReport {
    private static final int LABEL_WIDTH = 320;
    private static final int CHART_WIDTH = 980;

    private HtmlReport() {
    }

    /**
     * Writes {@code report} (HTML) and, beside it, the same name with {@code .csv} and {@code .md}; each atomically.
     *
     * @return the three files written
     */
    public static List<Path> write(List<BenchRun> runs, Baseline baseline, Path report) {
        return write(runs, baseline, report, List.of());
    }

    /**
     * {@link #write(List, Baseline, Path)}, refusing (before writing any of the three) a target that is not a regular
     * file or is one of {@code inputs}.
     */
    public static List<Path> write(List<BenchRun> runs, Baseline baseline, Path report, Collection<Path> inputs) {
        List<Path> files = files(report);
        checkTargets(report, inputs);
        BenchResults.writeAtomically(files.get(0), render(runs, baseline), inputs);
        BenchResults.writeAtomically(files.get(1), Tables.csv(runs, baseline), inputs);
        BenchResults.writeAtomically(files.get(2), Tables.markdown(runs, baseline), inputs);
        return files;
    }

    /** The three files a report at {@code report} consists of: itself, and its name with {@code .csv} and {@code .md}. */
    public static List<Path> files(Path report) {
        String name = report.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return List.of(report, report.resolveSibling(stem + ".csv"), report.resolveSibling(stem + ".md"));
    }

    /**
     * Checks, before any long work, that each of the report's three files could be written.
     *
     * @throws dev.graft.models.GraftException with one line if one could not
     */
    public static void checkTargets(Path report, Collection<Path> inputs) {
        for (Path p : files(report)) {
            BenchResults.checkTarget(p, inputs);
        }
    }

    /** The report's HTML; {@code baseline} null picks the first configuration that ran. */
    public static String render(List<BenchRun> runs, Baseline baseline) {
        List<ReportRow> rows = ReportRow.of(runs);
        Baseline base = baseline == null ? Baseline.defaultFor(rows) : baseline;
        Map<ReportRow, Double> speedups = base.speedups(rows);
        List<ReportRow> ok = rows.stream().filter(ReportRow::ok).toList();
        Map<String, String> colors = seriesColors(ok);

        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .append("<link rel=\"icon\" href=\"data:,\">")
            .append("<title>Graft benchmark: ").append(Fmt.html(title(runs))).append("</title>")
            .append("<style>").append(CSS).append("</style></head><body>\n");
        h.append("<h1>Graft benchmark</h1>\n<p class=\"lead\">").append(Fmt.html(title(runs))).append(". ")
            .append(ok.size()).append(" of ").append(rows.size()).append(" configurations ran; report made ")
            .append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(" by Graft ").append(Fmt.html(GraftVersion.get()))
            .append(".</p>\n");

        machines(h, runs);
        summary(h, rows, speedups, base);
        notRun(h, rows);
        if (ok.isEmpty()) {
            h.append("<p class=\"empty\">No configuration ran, so there is nothing to chart.</p>\n");
        } else {
            h.append("<h2 id=\"latency\">Latency percentiles</h2>\n<p class=\"note\">Per inference (one batch). Line: min to"
                + " P99.9; box: P50 to P90; dark tick: P99. ")
                .append(latencyScaleIsLog(ok) ? "Logarithmic axis." : "").append("</p>\n");
            h.append(latencyOverview(ok, colors)).append('\n');
            h.append("<h2 id=\"distribution\">Latency distribution per configuration</h2>\n<p class=\"note\">Histogram of"
                + " the measured latencies between the fastest and P99.9 (slower ones are counted above the chart);"
                + " solid line: P50; dashed: P99.</p>\n<div class=\"grid\">\n");
            for (ReportRow r : ok) {
                h.append("<figure>").append(histogram(r, colors.get(r.series()))).append("<figcaption>")
                    .append(Fmt.html(r.label())).append("</figcaption></figure>\n");
            }
            h.append("</div>\n");
            h.append("<h2 id=\"throughput\">Throughput against batch size</h2>\n<p class=\"note\">Images per second of"
                + " wall time over the measured loop; one line per engine, device and thread count.</p>\n");
            h.append(throughput(ok, colors)).append('\n');
            h.append("<h2 id=\"speedup\">Speed-up against the baseline</h2>\n<p class=\"note\">Baseline: <b>")
                .append(Fmt.html(base.describe())).append("</b>. Speed-up = baseline P50 / P50 for ")
                .append(base.acrossNetworks() ? "the same batch size and mode, every network against the baseline's"
                    + " (in the same precision, engine, device and threads where it has that row)"
                    : "the same network (the same model, or another precision of it), batch size and mode")
                .append("; above 1 is faster than the baseline.</p>\n");
            h.append(speedupChart(rows, speedups, base, colors)).append('\n');
        }
        definitions(h);
        h.append("<script>").append(SCRIPT).append("</script>\n</body></html>\n");
        return h.toString();
    }

    private static String title(List<BenchRun> runs) {
        TreeSet<String> models = new TreeSet<>();
        TreeSet<String> labels = new TreeSet<>();
        runs.forEach(r -> {
            models.add(r.model().name());
            labels.add(r.label());
        });
        return String.join(", ", models) + " on " + String.join(", ", labels);
    }

    private static Map<String, String> seriesColors(List<ReportRow> ok) {
        Map<String, String> colors = new LinkedHashMap<>();
        for (ReportRow r : ok) {
            colors.computeIfAbsent(r.series(), k -> Svg.color(colors.size()));
        }
        return colors;
    }

    private static void machines(StringBuilder h, List<BenchRun> runs) {
        h.append("<h2 id=\"machines\">Machines and models</h2>\n<table class=\"machines\"><thead><tr><th></th>");
        java.util.Set<String> labels = new java.util.HashSet<>();
        java.util.Set<String> repeated = new java.util.HashSet<>();
        runs.forEach(r -> {
            if (!labels.add(r.label())) {
                repeated.add(r.label());
            }
        });
        for (BenchRun r : runs) {
            // one invocation measuring several models leaves one run per model under one label
            h.append("<th>").append(Fmt.html(r.label() + (repeated.contains(r.label()) ? " · " + r.model().name() : "")))
                .append("</th>");
        }
        h.append("</tr></thead><tbody>\n");
        row(h, "Finished", runs, r -> r.created());
        row(h, "CPU", runs, r -> r.machine().cpuModel());
        row(h, "Logical cores", runs, r -> Integer.toString(r.machine().cores()));
        row(h, "Memory", runs, r -> r.machine().memoryBytes() > 0
            ? String.format(Locale.ROOT, "%.1f GiB", r.machine().memoryBytes() / 1073741824.0) : "");
        row(h, "GPU", runs, r -> r.machine().gpus().isEmpty() ? "none" : String.join("; ", r.machine().gpus().stream()
            .map(g -> g.name() + " (driver " + g.driver() + ", " + g.memoryMiB() + " MiB)").toList()));
        row(h, "OS", runs, r -> r.machine().os());
        row(h, "JVM", runs, r -> r.machine().jvm());
        row(h, "ONNX Runtime", runs, r -> orDash(r.machine().onnxRuntime()));
        row(h, "DJL / PyTorch", runs, r -> r.machine().djl() == null ? "-"
            : r.machine().djl() + " / " + orDash(r.machine().pytorch()));
        row(h, "Graft", runs, BenchRun::graftVersion);
        row(h, "Model", runs, r -> r.model().name() + " (" + String.format(Locale.ROOT, "%.1f MB", r.model().bytes() / 1e6)
            + (r.model().arch() == null ? "" : ", " + r.model().arch()) + ", " + r.model().precisionOrFp32() + ", input "
            + r.model().input().get(0) + "x" + r.model().input().get(1) + "x" + r.model().input().get(2) + ", sha256 "
            + r.model().sha256().substring(0, 12) + ")" + (r.model().quantization() == null ? ""
                : "; " + r.model().quantization()));
        row(h, "Checkpoint (DJL)", runs, r -> orDash(r.model().checkpoint()));
        row(h, "Measured", runs, r -> r.settings().warmup() + " warm-up, then "
            + (r.settings().runs() != null ? r.settings().runs() + " inferences" : r.settings().minSeconds() + " s")
            + " per configuration" + (r.settings().peakRssPerConfiguration() ? "" : "; peak memory per process")
            + (Boolean.FALSE.equals(r.settings().spin()) ? "; engine threads not spinning (--no-spin)" : "")
            + (r.settings().environment().isEmpty() ? "" : "; environment " + r.settings().environment()));
        row(h, "End to end", runs, r -> r.settings().images() == null ? "-"
            : r.settings().imageCount() + " images from " + r.settings().images() + ": " + r.settings().preprocessing());
        row(h, "Notes", runs, r -> r.notes().isEmpty() ? "-" : String.join(" ", r.notes()));
        h.append("</tbody></table>\n");
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }

    private static void row(StringBuilder h, String name, List<BenchRun> runs, java.util.function.Function<BenchRun, String> f) {
        h.append("<tr><th>").append(Fmt.html(name)).append("</th>");
        for (BenchRun r : runs) {
            MachineInfo m = r.machine();
            h.append("<td>").append(m == null ? "" : Fmt.html(f.apply(r))).append("</td>");
        }
        h.append("</tr>\n");
    }

    private static void summary(StringBuilder h, List<ReportRow> rows, Map<ReportRow, Double> speedups, Baseline base) {
        h.append("<h2 id=\"summary-table\">Summary</h2>\n<p class=\"note\">Latencies in milliseconds per inference;"
            + " click a column to sort. Load: the machine's one-minute load average before the configuration (other"
            + " processes included; above the core count means noise). Speed-up against ").append(Fmt.html(base.describe()))
            .append(".</p>\n");
        h.append("<div class=\"scroll\"><table id=\"summary\" class=\"summary\"><thead><tr>");
        for (String c : List.of("Configuration", "Engine", "Precision", "Device", "Threads", "Batch", "Mode", "P50", "P90", "P95",
                "P99", "P99.9", "Mean", "Std dev", "Images/s", "MLPerf SS P90", "Session ms", "First ms", "Peak RSS MB",
                "CPU %", "Load", "Speed-up")) {
            h.append("<th>").append(c).append("</th>");
        }
        h.append("</tr></thead><tbody>\n");
        for (ReportRow r : rows) {
            ConfigResult c = r.result();
            if (!c.ok()) {
                continue;
            }
            LatencyStats s = c.latencyMs();
            Double up = speedups.get(r);
            h.append("<tr>");
            text(h, r.label());
            text(h, c.engine());
            text(h, r.precision());
            text(h, c.device());
            number(h, (double) c.threads(), Integer.toString(c.threads()));
            number(h, (double) c.batch(), Integer.toString(c.batch()));
            text(h, "end-to-end".equals(c.mode()) ? "e2e" : c.mode());
            number(h, s.p50(), Fmt.num(s.p50()));
            number(h, s.p90(), Fmt.num(s.p90()));
            number(h, s.p95(), Fmt.num(s.p95()));
            number(h, s.p99(), Fmt.num(s.p99()));
            number(h, s.p999(), Fmt.num(s.p999()));
            number(h, s.mean(), Fmt.num(s.mean()));
            number(h, s.stddev(), Fmt.num(s.stddev()));
            number(h, c.imagesPerSecond(), Fmt.num(c.imagesPerSecond()));
            number(h, c.mlperfSingleStreamP90Ms(), Fmt.num(c.mlperfSingleStreamP90Ms()));
            number(h, c.sessionCreationMs(), Fmt.num(c.sessionCreationMs()));
            number(h, c.firstInferenceMs(), Fmt.num(c.firstInferenceMs()));
            number(h, c.peakWorkingSetBytes() == null ? null : c.peakWorkingSetBytes() / 1048576.0,
                Fmt.mb(c.peakWorkingSetBytes()));
            number(h, c.avgCpuUsagePercent(), Fmt.num(c.avgCpuUsagePercent()));
            number(h, c.loadAverageBefore(), Fmt.num(c.loadAverageBefore()));
            number(h, up, up != null ? String.format(Locale.ROOT, "%.2f×", up) : base.matches(r) ? "baseline" : "");
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n");
    }

    private static void text(StringBuilder h, String s) {
        h.append("<td data-v=\"").append(Fmt.html(s)).append("\">").append(Fmt.html(s)).append("</td>");
    }

    private static void number(StringBuilder h, Double v, String shown) {
        h.append("<td class=\"n\"").append(v == null ? "" : " data-v=\"" + v + "\"").append('>').append(Fmt.html(shown))
            .append("</td>");
    }

    private static void notRun(StringBuilder h, List<ReportRow> rows) {
        List<ReportRow> skipped = rows.stream().filter(r -> !r.ok()).toList();
        if (skipped.isEmpty()) {
            return;
        }
        h.append("<h2 id=\"skipped\">Not run</h2>\n<table class=\"skipped\"><thead><tr><th>Configuration</th><th>Status</th>"
            + "<th>Reason</th></tr></thead><tbody>\n");
        for (ReportRow r : skipped) {
            h.append("<tr><td>").append(Fmt.html(r.label())).append("</td><td class=\"").append(r.result().status())
                .append("\">").append(r.result().status()).append("</td><td>").append(Fmt.html(r.result().reason()))
                .append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");
    }

    private static boolean latencyScaleIsLog(List<ReportRow> ok) {
        double lo = ok.stream().mapToDouble(r -> r.result().latencyMs().min()).min().orElse(1);
        double hi = ok.stream().mapToDouble(r -> r.result().latencyMs().p999()).max().orElse(1);
        return lo > 0 && hi / lo > 20;
    }

    private static String latencyOverview(List<ReportRow> ok, Map<String, String> colors) {
        int rowH = 26;
        int top = 12;
        int height = top + ok.size() * rowH + 52;
        double x0 = LABEL_WIDTH;
        double x1 = CHART_WIDTH - 120;
        double lo = ok.stream().mapToDouble(r -> r.result().latencyMs().min()).min().orElse(0);
        double hi = ok.stream().mapToDouble(r -> r.result().latencyMs().p999()).max().orElse(1);
        Svg.Scale x = latencyScaleIsLog(ok) ? Svg.Scale.log(lo, hi, x0, x1) : Svg.Scale.linear(0, hi * 1.05, x0, x1);
        double axisY = top + ok.size() * rowH + 6;
        Svg svg = new Svg("chart-latency", "latency-overview", CHART_WIDTH, height, "Latency percentiles per configuration");
        svg.xAxis(x, axisY, x0, x1, "latency per inference (ms)", top);
        for (int i = 0; i < ok.size(); i++) {
            ReportRow r = ok.get(i);
            LatencyStats s = r.result().latencyMs();
            String color = colors.get(r.series());
            double y = top + i * rowH + rowH / 2.0;
            svg.text(x0 - 8, y + 4, shorten(r.label(), 50), "end", 12, "#222");
            svg.line(x.map(s.min()), y, x.map(s.p999()), y, color, 1.5, null);
            svg.rect(x.map(s.p50()), y - 7, x.map(s.p90()) - x.map(s.p50()) + 1, 14, color,
                String.format(Locale.ROOT, "%s: min %s, P50 %s, P90 %s, P99 %s, P99.9 %s, max %s ms", r.label(),
                    Fmt.num(s.min()), Fmt.num(s.p50()), Fmt.num(s.p90()), Fmt.num(s.p99()), Fmt.num(s.p999()),
                    Fmt.num(s.max())), "box");
            svg.line(x.map(s.p99()), y - 8, x.map(s.p99()), y + 8, "#222", 2, null);
            svg.text(x1 + 8, y + 4, "P50 " + Fmt.num(s.p50()) + " ms", "start", 11, "#222");
        }
        return svg.end();
    }

    private static String histogram(ReportRow r, String color) {
        List<Double> values = r.result().latenciesMs();
        LatencyStats s = r.result().latencyMs();
        int w = 310;
        int hgt = 170;
        double x0 = 44;
        double x1 = w - 12;
        double y0 = 22;
        double y1 = hgt - 40;
        // the stored latencies are rounded to the microsecond, the statistics are not: allow for the rounding
        double lo = s.min() - 0.0005;
        double hi = Math.max(s.p999() + 0.0005, lo + 0.001);
        int bins = 30;
        int[] counts = new int[bins];
        int above = 0;
        if (values != null) {
            for (double v : values) {
                if (v > hi) {
                    above++;
                    continue;
                }
                int b = (int) Math.min(bins - 1, Math.floor((v - lo) / (hi - lo) * bins));
                counts[Math.max(0, b)]++;
            }
        }
        int max = 1;
        for (int c : counts) {
            max = Math.max(max, c);
        }
        Svg.Scale x = Svg.Scale.linearExact(lo, hi, x0, x1);
        Svg.Scale y = Svg.Scale.counts(max, y1, y0);
        Svg svg = new Svg(null, "histogram", w, hgt, "Latency distribution: " + r.label());
        svg.yAxis(y, x0, y1, y0, null, x1);
        svg.xAxis(x, y1, x0, x1, "ms", y1);
        double bw = (x1 - x0) / bins;
        for (int i = 0; i < bins; i++) {
            if (counts[i] > 0) {
                double from = lo + (hi - lo) * i / bins;
                svg.rect(x0 + i * bw + 0.5, y.map(counts[i]), bw - 1, y1 - y.map(counts[i]), color,
                    String.format(Locale.ROOT, "%d inferences from %s to %s ms", counts[i], Fmt.num(from),
                        Fmt.num(from + (hi - lo) / bins)), "bar");
            }
        }
        svg.line(x.map(s.p50()), y0 - 4, x.map(s.p50()), y1, "#111", 1.5, null);
        svg.line(x.map(s.p99()), y0 - 4, x.map(s.p99()), y1, "#c00", 1.5, "4 3");
        svg.text(x0, 14, "n " + s.count() + "   P50 " + Fmt.num(s.p50()) + "   P99 " + Fmt.num(s.p99()) + " ms"
            + (above > 0 ? "   +" + above + " above" : ""), "start", 11, "#222");
        return svg.end();
    }

    private static String throughput(List<ReportRow> ok, Map<String, String> colors) {
        TreeSet<Integer> batches = new TreeSet<>();
        ok.forEach(r -> batches.add(r.result().batch()));
        List<Integer> bs = new ArrayList<>(batches);
        int height = 400;
        double x0 = 80;
        double x1 = CHART_WIDTH - 360;
        double y0 = 20;
        double y1 = height - 60;
        double max = ok.stream().mapToDouble(r -> r.result().imagesPerSecond()).max().orElse(1);
        Svg.Scale y = Svg.Scale.linear(0, max * 1.08, y1, y0);
        Svg svg = new Svg("chart-throughput", "throughput", CHART_WIDTH, height, "Throughput against batch size");
        svg.yAxis(y, x0, y1, y0, "images per second", x1);
        svg.line(x0, y1, x1, y1, "#333", 1, null);
        double step = bs.size() > 1 ? (x1 - x0 - 60) / (bs.size() - 1) : 0;
        Map<Integer, Double> xs = new LinkedHashMap<>();
        for (int i = 0; i < bs.size(); i++) {
            double x = bs.size() > 1 ? x0 + 30 + i * step : (x0 + x1) / 2;
            xs.put(bs.get(i), x);
            svg.line(x, y1, x, y1 + 4, "#333", 1, null);
            svg.text(x, y1 + 18, Integer.toString(bs.get(i)), "middle", 11, "#333");
        }
        svg.text((x0 + x1) / 2, y1 + 40, "batch size", "middle", 12, "#333");
        Map<String, List<ReportRow>> series = new LinkedHashMap<>();
        ok.forEach(r -> series.computeIfAbsent(r.series(), k -> new ArrayList<>()).add(r));
        int i = 0;
        for (Map.Entry<String, List<ReportRow>> e : series.entrySet()) {
            String color = colors.get(e.getKey());
            List<ReportRow> pts = new ArrayList<>(e.getValue());
            pts.sort((a, b) -> Integer.compare(a.result().batch(), b.result().batch()));
            List<double[]> line = new ArrayList<>();
            for (ReportRow r : pts) {
                line.add(new double[] {xs.get(r.result().batch()), y.map(r.result().imagesPerSecond())});
            }
            if (line.size() > 1) {
                svg.polyline(line, color, 2);
            }
            for (int k = 0; k < pts.size(); k++) {
                svg.circle(line.get(k)[0], line.get(k)[1], 4.5, color, pts.get(k).label() + ": "
                    + Fmt.num(pts.get(k).result().imagesPerSecond()) + " images/s", "point");
            }
            double ly = y0 + 6 + i * 20;
            svg.rect(x1 + 20, ly - 9, 12, 12, color, null, null);
            svg.text(x1 + 38, ly + 1, shorten(e.getKey(), 46), "start", 12, "#222");
            i++;
        }
        return svg.end();
    }

    private static String speedupChart(List<ReportRow> rows, Map<ReportRow, Double> speedups, Baseline base,
            Map<String, String> colors) {
        List<ReportRow> shown = rows.stream().filter(speedups::containsKey).toList();
        if (shown.isEmpty()) {
            return "<p class=\"empty\">No configuration has a baseline to compare with (" + Fmt.html(base.describe())
                + "): pick another with --baseline.</p>";
        }
        int rowH = 26;
        int top = 18;
        int height = top + shown.size() * rowH + 52;
        double x0 = LABEL_WIDTH;
        double x1 = CHART_WIDTH - 90;
        double max = Math.max(1, shown.stream().mapToDouble(speedups::get).max().orElse(1));
        Svg.Scale x = Svg.Scale.linear(0, max * 1.1, x0, x1);
        double axisY = top + shown.size() * rowH + 6;
        Svg svg = new Svg("chart-speedup", "speedup", CHART_WIDTH, height, "Speed-up against " + base.describe());
        svg.xAxis(x, axisY, x0, x1, "speed-up (baseline P50 / P50)", top);
        for (int i = 0; i < shown.size(); i++) {
            ReportRow r = shown.get(i);
            double up = speedups.get(r);
            double y = top + i * rowH + rowH / 2.0;
            svg.text(x0 - 8, y + 4, shorten(r.label(), 50), "end", 12, "#222");
            ReportRow b = base.baselineOf(r, rows);
            svg.rect(x0, y - 8, x.map(up) - x0, 16, colors.get(r.series()), String.format(Locale.ROOT,
                "%s: %.2f× (P50 %s ms vs %s ms for %s)", r.label(), up, Fmt.num(r.result().latencyMs().p50()),
                b == null ? "?" : Fmt.num(b.result().latencyMs().p50()), b == null ? "?" : b.label()), "bar");
            svg.text(x.map(up) + 6, y + 4, String.format(Locale.ROOT, "%.2f×", up), "start", 12, "#222");
        }
        svg.line(x.map(1), top - 4, x.map(1), axisY, "#c00", 1.5, "5 3");
        svg.text(x.map(1), top - 5, "1×", "middle", 10, "#c00");
        return svg.end();
    }

    /** Long labels lose their middle: the run's name starts them and the configuration ends them. */
    private static String shorten(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int head = Math.min(14, max / 3);
        return s.substring(0, head) + "…" + s.substring(s.length() - (max - head - 1));
    }

    private static void definitions(StringBuilder h) {
        h.append("<h2 id=\"definitions\">How the figures are measured</h2>\n<ul class=\"defs\">")
            .append("<li><b>Latency</b>: wall time of one inference call on one batch, including wrapping the input and"
                + " copying the output out; end-to-end (e2e) rows also read, decode and preprocess the batch's image"
                + " files.</li>")
            .append("<li><b>P50 ... P99.9</b>: nearest rank on the sorted latencies, sorted[floor(n &times; q)], as ONNX"
                + " Runtime's onnxruntime_perf_test and MLPerf LoadGen compute them. <b>Std dev</b>: sample standard"
                + " deviation.</li>")
            .append("<li><b>MLPerf SS P90</b>: MLPerf's single-stream metric, the 90th percentile of back-to-back"
                + " batch-1 queries (batch-1 model-only rows only; no minimum run length or early-stopping applied).</li>")
            .append("<li><b>Images/s</b>: batch &times; inferences / wall time of the measured loop.</li>")
            .append("<li><b>Precision</b>: the model's graft.precision (fp32, fp16, int8; fp32 when absent); DJL runs the"
                + " fp32 checkpoint.</li>")
            .append("<li><b>Session ms</b>: opening the model (load, graph optimisation, allocation); <b>First ms</b>:"
                + " the first inference after that, not counted in the statistics.</li>")
            .append("<li><b>Peak RSS</b>: the process's peak resident memory (Linux VmHWM) during the configuration,"
                + " the JVM included; <b>CPU %</b>: process CPU time / (wall time &times; logical cores).</li>")
            .append("<li>Other processes on a shared machine add noise; each result records the load average before and"
                + " after it (see the JSON and CSV).</li></ul>\n");
    }

    private static final String CSS = """
        body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#222;margin:24px auto;max-width:1240px;\
        padding:0 16px}h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #ddd;\
        padding-bottom:3px}.lead{color:#444;margin-top:0}.note{color:#555;margin:2px 0 8px}table{border-collapse:collapse;\
        font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}\
        td.n{text-align:right;font-variant-numeric:tabular-nums}table.summary td{white-space:nowrap}table.summary th{cursor:pointer;background:#f6f6f6;\
        position:sticky;top:0;white-space:nowrap}table.summary tbody tr:nth-child(even){background:#fafafa}\
        table.summary tbody tr:hover{background:#eef5ff}table.machines th{background:#f6f6f6}.scroll{overflow-x:auto}\
        .grid{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;border:1px solid #eee;padding:4px}\
        figcaption{font-size:12px;text-align:center;color:#333}td.skipped{color:#a60}td.failed{color:#c00}\
        .empty{color:#a60}svg.chart{display:block;max-width:100%;height:auto}svg .box:hover,svg .bar:hover,\
        svg .point:hover{opacity:.75}.defs li{margin:2px 0}
        """;

    private static final String SCRIPT = """
        (function(){
          var table = document.getElementById('summary');
          if (table) {
            var heads = table.tHead.rows[0].cells;
            Array.prototype.forEach.call(heads, function (th, i) {
              th.addEventListener('click', function () {
                var asc = th.getAttribute('data-dir') !== 'asc';
                Array.prototype.forEach.call(heads, function (o) { o.removeAttribute('data-dir'); });
                th.setAttribute('data-dir', asc ? 'asc' : 'desc');
                var body = table.tBodies[0];
                var rows = Array.prototype.slice.call(body.rows);
                rows.sort(function (a, b) {
                  var x = a.cells[i].getAttribute('data-v'), y = b.cells[i].getAttribute('data-v');
                  if (x === null) { return 1; }
                  if (y === null) { return -1; }
                  var nx = parseFloat(x), ny = parseFloat(y);
                  var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
                  return asc ? c : -c;
                });
                rows.forEach(function (r) { body.appendChild(r); });
              });
            });
          }
          document.body.setAttribute('data-charts', String(document.querySelectorAll('svg.chart').length));
          document.body.setAttribute('data-ready', 'true');
        })();
        """;
}
