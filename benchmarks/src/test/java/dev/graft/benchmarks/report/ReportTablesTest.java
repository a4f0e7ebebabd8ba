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
        return new ConfigResult(engine, device, threads, batch, BenchConfig.MODEL, null, ConfigResult.OK, null, device, 100.0,
            s.max() * 2, latencies.length, seconds, s, ips, ips * batch, batch == 1 ? s.p90() : null, 300L << 20, 50.0,
            1.0, 0.5, 0.6, java.util.Arrays.stream(latencies).boxed().toList());
    }

    static BenchRun run(String label, List<ConfigResult> results) {
        return run(label, new ModelRecord("resnet18", "resnet18.onnx", 1000, "ab".repeat(32), "resnet18", "fp32",
            List.of(3, 224, 224), 10, null, null), results);
    }

    static BenchRun run(String label, ModelRecord model, List<ConfigResult> results) {
        MachineInfo m = new MachineInfo(label + "-host", "Test CPU, with a comma", 2, 8L << 30, "Linux", "JVM 17", "1.22.0",
            "0.35.1", "2.7.1", List.of());
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

    static ModelRecord model(String name, String sha, String arch, String precision, long bytes, int outputs) {
        return new ModelRecord(name, name + ".onnx", bytes, sha.repeat(32), arch, precision, List.of(3, 224, 224),
            outputs, null, precision.equals("int8") ? "qdq; test" : null);
    }

    /** One invocation with an fp32 and an int8 export of one network, and a different network: one run per model. */
    static List<BenchRun> precisions() {
        ModelRecord fp32 = model("r18", "aa", "resnet18", "fp32", 40_000_000, 10);
        ModelRecord int8 = model("r18-int8", "bb", "resnet18", "int8", 10_000_000, 10);
        ModelRecord other = model("r50-int8", "cc", "resnet50", "int8", 25_000_000, 10);
        return List.of(
            run("vm", fp32, List.of(ok("ort", "cpu", 2, 1, 30, 30).withPrecision("fp32"),
                ok("djl", "cpu", 2, 1, 60, 60).withPrecision("fp32"), ok("ort", "cpu", 2, 8, 200, 200).withPrecision("fp32"),
                ok("ort", "cpu", 1, 1, 40, 40).withPrecision("fp32"))),
            run("vm", int8, List.of(ok("ort", "cpu", 2, 1, 10, 10).withPrecision("int8"),
                ok("ort", "cpu", 2, 8, 50, 50).withPrecision("int8"), ok("ort", "cpu", 1, 1, 16, 16).withPrecision("int8"))),
            run("vm", other, List.of(ok("ort", "cpu", 2, 1, 5, 5).withPrecision("int8"))));
    }

    @Test
    void precisionBaselineComparesEachExportWithTheFp32OneOfTheSameNetwork() {
        List<ReportRow> rows = ReportRow.of(precisions());
        assertThat(rows).extracting(ReportRow::label).contains("r18 · ort fp32 cpu t2 b1", "r18 · djl fp32 cpu t2 b1",
            "r18-int8 · ort int8 cpu t2 b8", "r50-int8 · ort int8 cpu t2 b1");
        Baseline fp32 = Baseline.parse("precision=fp32");
        Map<ReportRow, Double> up = fp32.speedups(rows);
        // the same engine, device, threads, batch and mode in fp32: 30/10, 200/50, 40/16; resnet50 has no fp32 row
        assertThat(value(up, "r18-int8 · ort int8 cpu t2 b1")).isCloseTo(3.0, within(1e-12));
        assertThat(value(up, "r18-int8 · ort int8 cpu t2 b8")).isCloseTo(4.0, within(1e-12));
        assertThat(value(up, "r18-int8 · ort int8 cpu t1 b1")).isCloseTo(2.5, within(1e-12));
        assertThat(up).hasSize(3);
        assertThat(rows).filteredOn(fp32::matches).extracting(ReportRow::label)
            .containsExactly("r18 · ort fp32 cpu t2 b1", "r18 · djl fp32 cpu t2 b1", "r18 · ort fp32 cpu t2 b8",
                "r18 · ort fp32 cpu t1 b1");
        // a bare precision is a precision; case does not matter
        assertThat(Baseline.parse("FP32").describe()).isEqualTo("precision=fp32");
        // against DJL: the int8 export is compared with the checkpoint run filed under its fp32 sibling
        assertThat(value(Baseline.parse("engine=djl").speedups(rows), "r18-int8 · ort int8 cpu t2 b1"))
            .isCloseTo(6.0, within(1e-12));
        // the default takes the first row's precision too when precisions differ
        assertThat(Baseline.defaultFor(rows).describe())
            .isEqualTo("run=vm, engine=ort, device=cpu, threads=2, precision=fp32");

        String md = Tables.markdown(precisions(), fp32);
        assertThat(md).contains("| r18-int8 · ort int8 cpu t2 b1 | r18-int8 | int8 | 10.0 |", "| 3.00× |",
            "same network, batch and mode",
            "Models: r18: fp32, 40.0 MB; r18-int8: int8, 10.0 MB (0.25x r18); r50-int8: int8, 25.0 MB.");
        List<String> csv = Tables.csv(precisions(), fp32).lines().toList();
        assertThat(csv.get(5)).startsWith("vm,r18-int8,int8,10000000,ort,cpu,cpu,2,1,model,ok,").endsWith(",3,");
        String html = HtmlReport.render(precisions(), fp32);
        assertThat(html).contains("<th>Precision</th>", "<td data-v=\"int8\">int8</td>", "<th>vm · r18-int8</th>",
            "qdq; test");
    }

    /** The fp32 and int8 exports of two networks and a model without Graft metadata, measured in one invocation. */
    static List<BenchRun> networks() {
        ModelRecord r18 = model("resnet18", "aa", "resnet18", "fp32", 40_000_000, 10);
        ModelRecord r18int8 = model("resnet18-int8", "bb", "resnet18", "int8", 10_000_000, 10);
        ModelRecord r50 = model("resnet50", "cc", "resnet50", "fp32", 100_000_000, 10);
        ModelRecord r50int8 = model("resnet50-int8", "dd", "resnet50", "int8", 25_000_000, 10);
        ModelRecord foreign = model("foreign", "ee", null, "fp32", 5_000_000, 1000);
        return List.of(
            run("vm", r18, List.of(ok("ort", "cpu", 2, 1, 30, 30).withPrecision("fp32"),
                ok("ort", "cpu", 2, 8, 200, 200).withPrecision("fp32"))),
            run("vm", r18int8, List.of(ok("ort", "cpu", 2, 1, 10, 10).withPrecision("int8"))),
            run("vm", r50, List.of(ok("ort", "cpu", 2, 1, 60, 60).withPrecision("fp32"))),
            run("vm", r50int8, List.of(ok("ort", "cpu", 2, 1, 40, 40).withPrecision("int8"))),
            run("vm", foreign, List.of(ok("ort", "cpu", 2, 1, 120, 120).withPrecision("fp32"))));
    }

    @Test
    void aNamedNetworkIsTheBaselineOfEveryOtherNetworkInItsOwnPrecision() {
        List<ReportRow> rows = ReportRow.of(networks());
        Baseline arch = Baseline.parse("arch=ResNet50");
        assertThat(arch.describe()).isEqualTo("arch=resnet50");
        assertThat(arch.acrossNetworks()).isTrue();
        assertThat(rows).filteredOn(arch::matches).extracting(ReportRow::label)
            .containsExactly("resnet50 · ort fp32 cpu t2 b1", "resnet50-int8 · ort int8 cpu t2 b1");
        Map<ReportRow, Double> up = arch.speedups(rows);
        // fp32 against resnet50's fp32 (60 ms), int8 against resnet50's int8 (40 ms); batch 8 has no resnet50 row
        assertThat(value(up, "resnet18 · ort fp32 cpu t2 b1")).isCloseTo(2.0, within(1e-12));
        assertThat(value(up, "resnet18-int8 · ort int8 cpu t2 b1")).isCloseTo(4.0, within(1e-12));
        assertThat(value(up, "foreign · ort fp32 cpu t2 b1")).isCloseTo(0.5, within(1e-12));
        assertThat(up).hasSize(3);

        // by file name: only resnet50's fp32 export is the baseline, so the int8 rows are compared with it
        Map<ReportRow, Double> byModel = Baseline.parse("model=resnet50").speedups(rows);
        assertThat(value(byModel, "resnet18-int8 · ort int8 cpu t2 b1")).isCloseTo(6.0, within(1e-12));
        assertThat(value(byModel, "resnet50-int8 · ort int8 cpu t2 b1")).isCloseTo(1.5, within(1e-12));
        assertThat(byModel).hasSize(4);

        // without a network key nothing is compared across networks: each int8 export against its own fp32 one
        Map<ReportRow, Double> byPrecision = Baseline.parse("precision=fp32").speedups(rows);
        assertThat(value(byPrecision, "resnet18-int8 · ort int8 cpu t2 b1")).isCloseTo(3.0, within(1e-12));
        assertThat(value(byPrecision, "resnet50-int8 · ort int8 cpu t2 b1")).isCloseTo(1.5, within(1e-12));
        assertThat(byPrecision).hasSize(2);
        assertThat(Baseline.parse("precision=fp32").acrossNetworks()).isFalse();

        String md = Tables.markdown(networks(), arch);
        assertThat(md).contains("| resnet18-int8 · ort int8 cpu t2 b1 | resnet18-int8 | int8 | 10.0 |", "| 4.00× |",
            "Speed-up: P50 of the baseline (arch=resnet50) / P50, same batch and mode, each network against the"
                + " baseline's.");
        assertThat(md.lines().filter(l -> l.startsWith("| resnet50")))
            .allSatisfy(l -> assertThat(l).endsWith("| baseline |"));
        assertThat(HtmlReport.render(networks(), arch)).contains("Baseline: <b>arch=resnet50</b>",
            "every network against the baseline's");
        // a selector no row matches leaves every speed-up empty, and the report says so
        assertThat(Baseline.parse("arch=vgg16_bn").speedups(rows)).isEmpty();
        assertThat(HtmlReport.render(networks(), Baseline.parse("arch=vgg16_bn")))
            .contains("No configuration has a baseline to compare with (arch=vgg16_bn)");
    }

    @Test
    void resultsWithoutPrecisionReadAsTheirModelsPrecision() throws Exception {
        // a results file as graft bench wrote it before precision was recorded per configuration
        Path old = dir.resolve("old.json");
        BenchResults.of(twoMachines()).write(old);
        Files.writeString(old, Files.readString(old).replace("\"precision\" : \"fp32\",", ""));
        assertThat(Files.readString(old)).doesNotContain("precision");
        List<BenchRun> runs = BenchResults.read(old).runs();
        assertThat(runs.get(0).model().precision()).isNull();
        List<ReportRow> rows = ReportRow.of(runs);
        assertThat(rows).allSatisfy(r -> assertThat(r.precision()).isEqualTo("fp32"));
        assertThat(Baseline.defaultFor(rows).describe()).isEqualTo("run=laptop, engine=ort, device=cpu, threads=2");
        assertThat(Tables.csv(runs, null).lines().skip(1)).allSatisfy(l -> assertThat(l).contains(",fp32,"));
    }

    @Test
    void badSelectorsAreOneLine() {
        assertThatThrownBy(() -> Baseline.parse("colour=red")).isInstanceOf(GraftException.class)
            .hasMessageContaining("run, engine, device, threads, precision, model and arch").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> Baseline.parse("arch=")).isInstanceOf(GraftException.class)
            .hasMessage("--baseline arch= needs a value, e.g. arch=resnet50");
        assertThatThrownBy(() -> Baseline.parse(" , ")).hasMessageContaining("--baseline needs a selector");
    }

    @Test
    void csvHasOneRowPerConfigurationAndQuotesCommas() {
        String csv = Tables.csv(twoMachines(), Baseline.parse("run=laptop,engine=djl"));
        List<String> lines = csv.lines().toList();
        assertThat(lines).hasSize(1 + 7);
        int columns = lines.get(0).split(",", -1).length;
        assertThat(lines.get(0)).startsWith("run,model,precision,model_bytes,engine,device,").endsWith(",speedup,reason");
        assertThat(lines.get(1)).startsWith("laptop,resnet18,fp32,1000,ort,cpu,cpu,2,1,model,ok,100,20,3,10,10,10,10,10,10,10,10,0,100,100,10,300,50,1,0.5,0.6,2,");
        assertThat(lines.get(1).split(",", -1)).hasSize(columns);
        assertThat(lines.get(1).split(",", -1)[columns - 2]).isEqualTo("2");
        assertThat(lines.get(5)).contains("skipped").endsWith(",\"no CUDA, here\"");
    }

    @Test
    void markdownShowsFiguresSpeedupsAndReasons() {
        String md = Tables.markdown(twoMachines(), Baseline.parse("run=laptop,engine=djl"));
        assertThat(md).contains("| Configuration | Model | Precision | P50 ms |",
            "| laptop · ort cpu t2 b1 | resnet18 | fp32 | 10.0 |",
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

    @Test
    void markdownKeepsLabelsNamesAndReasonsInert() {
        String img = "<img src=x onerror=alert(1)>";
        BenchRun evil = run(img, model("[click](javascript:alert(2))", "a", "resnet18", "fp32", 1000, 3),
            List.of(ok("ort", "cpu", 1, 1, 3, 4), ConfigResult.skipped(new BenchConfig("djl", "cpu", 1, 1,
                BenchConfig.MODEL), "a | b\n<script>alert(3)</script> *x* `y` _z_ w_v")));
        BenchRun plain = run("plain_run", List.of(ok("ort", "cpu", 1, 1, 3, 4)));
        String md = Tables.markdown(List.of(evil, plain), null);
        assertThat(md).doesNotContain(img, "<script>").contains("&lt;img src=x onerror=alert(1)&gt;")
            .contains("\\_z\\_ w_v", "plain_run").as("an underscore inside a word stays as typed");
        List<org.commonmark.Extension> gfm = List.of(org.commonmark.ext.gfm.tables.TablesExtension.create());
        String html = org.commonmark.renderer.html.HtmlRenderer.builder().extensions(gfm).build()
            .render(org.commonmark.parser.Parser.builder().extensions(gfm).build().parse(md));
        assertThat(html).as(html).doesNotContain("<img", "<script", "<a ", "<em>", "<code>")
            .contains("<td>&lt;img src=x onerror=alert(1)&gt; · [click](javascript:alert(2)) · ort cpu t1 b1</td>",
                "<td>[click](javascript:alert(2))</td>",
                "a | b &lt;script&gt;alert(3)&lt;/script&gt; *x* `y` _z_ w_v", "<td>plain_run · resnet18 · ort cpu t1 b1</td>");
        assertThat(html.split("<tr>", -1)).as("a header and three rows, none split by the reason's | or newline")
            .hasSize(1 + 1 + 3);
    }

    private static double value(Map<ReportRow, Double> up, String label) {
        return up.entrySet().stream().filter(e -> e.getKey().label().equals(label)).findFirst()
            .orElseThrow(() -> new AssertionError("no speed-up for " + label + " in " + up.keySet().stream()
                .map(ReportRow::label).toList())).getValue();
    }
}
