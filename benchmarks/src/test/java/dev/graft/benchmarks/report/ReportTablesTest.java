package dev.graft.benchmarks.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.benchmarks.result.BenchConfig;
import dev.graft.benchmarks.result.BenchResults;
import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.benchmarks.result.ModelRecord;
import dev.graft.benchmarks.result.RunSettings;
import dev.graft.benchmarks.stats.LatencyStats;
import dev.graft.benchmarks.system.MachineInfo;
import dev.graft.models.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Speed-ups, CSV and Markdown from runs with known figures, and results files that are not what they claim. */
class ReportTablesTest {
    @TempDir
    Path dir;

    static ConfigResult ok(String engine, String device, int threads, int batch, double... latencies) {
        LatencyStats s = LatencyStats.ofMillis(latencies);
        double seconds = java.util.Arrays.stream(latencies).sum() / 1000;
        double ips = latencies.length / seconds;
        return new ConfigResult(engine, device, threads, batch, BenchConfig.MODEL, ConfigResult.OK, null, device, 100.0,
            s.max() * 2, latencies.length, seconds, s, ips, ips * batch, batch == 1 ? s.p90() : null, 300L << 20, 50.0,
            1.0, 0.5, 0.6, java.util.Arrays.stream(latencies).boxed().toList());
    }

    static BenchRun run(String label, List<ConfigResult> results) {
        MachineInfo m = new MachineInfo(label + "-host", "Test CPU, with a comma", 2, 8L << 30, "Linux", "JVM 17", "1.22.0",
            "0.35.1", "2.7.1", List.of());
        ModelRecord model = new ModelRecord("resnet18", "resnet18.onnx", 1000, "ab".repeat(32), "resnet18", "fp32",
            List.of(3, 224, 224), 10, null);
        return new BenchRun(label, "2026-01-01T00:00:00Z", "test", m, model,
            new RunSettings(5, 10, null, null, null, null, true, 0, true, Map.of()), List.of(), results);
    }

    static List<BenchRun> twoMachines() {
        return List.of(
            run("laptop", List.of(ok("ort", "cpu", 2, 1, 10, 10, 10), ok("djl", "cpu", 2, 1, 20, 20, 20),
                ok("ort", "cpu", 2, 8, 40, 40), ok("djl", "cpu", 2, 8, 100, 100),
                ConfigResult.skipped(new BenchConfig("ort", "cuda:0", 2, 1, BenchConfig.MODEL), "no CUDA, here"))),
            run("server", List.of(ok("ort", "cpu", 2, 1, 5, 5, 5), ok("ort", "cuda:0", 2, 1, 1, 1, 1))));
    }

    @Test
    void speedupsCompareLikeWithLike() {
        List<ReportRow> rows = ReportRow.of(twoMachines());
        Map<ReportRow, Double> up = Baseline.parse("run=laptop,engine=djl").speedups(rows);
        // laptop ort b1: 20/10; laptop ort b8: 100/40; server ort cpu b1: 20/5; server ort cuda b1: 20/1
        assertThat(up).hasSize(4);
        assertThat(value(up, "laptop · ort cpu t2 b1")).isCloseTo(2.0, within(1e-12));
        assertThat(value(up, "laptop · ort cpu t2 b8")).isCloseTo(2.5, within(1e-12));
        assertThat(value(up, "server · ort cpu t2 b1")).isCloseTo(4.0, within(1e-12));
        assertThat(value(up, "server · ort cuda:0 t2 b1")).isCloseTo(20.0, within(1e-12));

        // a bare engine name; the server's ort rows have no djl of their own, so the laptop's is used
        Map<ReportRow, Double> byEngine = Baseline.parse("djl").speedups(rows);
        assertThat(value(byEngine, "server · ort cpu t2 b1")).isCloseTo(4.0, within(1e-12));

        // default: the first configuration that ran (laptop ort cpu t2)
        Baseline d = Baseline.defaultFor(rows);
        assertThat(d.describe()).isEqualTo("run=laptop, engine=ort, device=cpu, threads=2");
        assertThat(value(d.speedups(rows), "laptop · djl cpu t2 b1")).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void badSelectorsAreOneLine() {
        assertThatThrownBy(() -> Baseline.parse("colour=red")).isInstanceOf(GraftException.class)
            .hasMessageContaining("run, engine, device and threads");
        assertThatThrownBy(() -> Baseline.parse(" , ")).hasMessageContaining("--baseline needs a selector");
    }

    @Test
    void csvHasOneRowPerConfigurationAndQuotesCommas() {
        String csv = Tables.csv(twoMachines(), Baseline.parse("run=laptop,engine=djl"));
        List<String> lines = csv.lines().toList();
        assertThat(lines).hasSize(1 + 7);
        int columns = lines.get(0).split(",", -1).length;
        assertThat(lines.get(0)).startsWith("run,model,engine,device,").endsWith(",speedup,reason");
        assertThat(lines.get(1)).startsWith("laptop,resnet18,ort,cpu,cpu,2,1,model,ok,100,20,3,10,10,10,10,10,10,10,10,0,100,100,10,300,50,1,0.5,0.6,2,");
        assertThat(lines.get(1).split(",", -1)).hasSize(columns);
        assertThat(lines.get(1).split(",", -1)[columns - 2]).isEqualTo("2");
        assertThat(lines.get(5)).contains("skipped").endsWith(",\"no CUDA, here\"");
    }

    @Test
    void markdownShowsFiguresSpeedupsAndReasons() {
        String md = Tables.markdown(twoMachines(), Baseline.parse("run=laptop,engine=djl"));
        assertThat(md).contains("| Configuration | Model | P50 ms |", "| laptop · ort cpu t2 b1 | resnet18 | 10.0 |",
            "| 2.00× |", "| 2.50× |", "| 20.00× |", "baseline |", "skipped: no CUDA, here",
            "Speed-up: P50 of the baseline (run=laptop, engine=djl) / P50");
        assertThat(md.lines().filter(l -> l.startsWith("| ")).count()).isEqualTo(1 + 7);
    }

    @Test
    void resultsRoundTripAndMerge() {
        BenchResults a = BenchResults.of(List.of(twoMachines().get(0)));
        BenchResults b = BenchResults.of(List.of(twoMachines().get(1)));
        Path fa = dir.resolve("a.json");
        Path fb = dir.resolve("b.json");
        a.write(fa);
        b.write(fb);
        BenchResults merged = BenchResults.merge(List.of(BenchResults.read(fa), BenchResults.read(fb)));
        assertThat(merged.runs()).extracting(BenchRun::label).containsExactly("laptop", "server");
        assertThat(merged.runs().get(0)).isEqualTo(a.runs().get(0));
        assertThat(merged.runs().get(1).results().get(1).latencyMs().p50()).isEqualTo(1.0);
    }

    @Test
    void filesThatAreNotResultsAreRefusedInOneLine() throws Exception {
        Path notJson = dir.resolve("x.json");
        Files.writeString(notJson, "{ nope");
        Path other = dir.resolve("other.json");
        Files.writeString(other, "{\"format\": \"something-else\"}");
        Path future = dir.resolve("future.json");
        Files.writeString(future, "{\"format\": \"graft-bench\", \"version\": 9, \"runs\": []}");
        Path empty = dir.resolve("empty.json");
        Files.writeString(empty, "{\"format\": \"graft-bench\", \"version\": 1, \"runs\": []}");
        assertThatThrownBy(() -> BenchResults.read(dir.resolve("missing.json"))).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> BenchResults.read(notJson)).isInstanceOf(GraftException.class)
            .hasMessageContaining("is not JSON").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> BenchResults.read(other)).hasMessageContaining("is not a graft bench results file");
        assertThatThrownBy(() -> BenchResults.read(future)).hasMessageContaining("format version 9");
        assertThatThrownBy(() -> BenchResults.read(empty)).hasMessageContaining("holds no benchmark runs");
    }

    @Test
    void htmlEscapesWhatItShows() {
        BenchRun evil = run("<script>alert(1)</script>", List.of(ok("ort", "cpu", 1, 1, 3, 4)));
        String html = HtmlReport.render(List.of(evil), null);
        assertThat(html).doesNotContain("<script>alert(1)</script>").contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        assertThat(html.indexOf("<script>")).isEqualTo(html.lastIndexOf("<script>")).as("only the report's own script");
    }

    private static double value(Map<ReportRow, Double> up, String label) {
        return up.entrySet().stream().filter(e -> e.getKey().label().equals(label)).findFirst()
            .orElseThrow(() -> new AssertionError("no speed-up for " + label + " in " + up.keySet().stream()
                .map(ReportRow::label).toList())).getValue();
    }
}
