package dev.graft.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.benchmarks.report.Baseline;
import dev.graft.benchmarks.report.ReportRow;
import dev.graft.benchmarks.report.Tables;
import dev.graft.benchmarks.result.BenchConfig;
import dev.graft.benchmarks.result.BenchResults;
import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.models.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Precision as a benchmark dimension, measured for real: a resnet18 at 64 px exported in fp32 and, calibrated on
 * synthetic images, in int8, benchmarked in one run with DJL on their checkpoint.
 */
class PrecisionBenchTest {
    @TempDir
    Path dir;

    @Test
    void fp32AndInt8ExportsRunSideBySideAndCompareByPrecision() throws Exception {
        TestModels.Model fp32 = TestModels.resnet18(64);
        TestModels.Model int8 = TestModels.resnet18Int8(64);
        List<String> started = new ArrayList<>();
        BenchOptions options = BenchOptions.builder().setModels(List.of(fp32.onnx(), int8.onnx()))
            .optCheckpoint(fp32.checkpoint()).optThreads(List.of(1)).optBatches(List.of(1, 2)).optWarmup(2).optRuns(8)
            .optLabel("vm").build();
        List<BenchRun> runs = BenchRunner.runAll(options, new BenchListener() {
            @Override
            public void started(BenchConfig config, int index, int total, long steps) {
                started.add(index + "/" + total + " " + config.label());
            }
        });

        // ONNX Runtime runs both models, next to each other in each configuration; DJL runs the checkpoint once
        assertThat(started).containsExactly(
            "1/6 resnet18_64 · ort fp32 cpu t1 b1", "2/6 resnet18_64-int8 · ort int8 cpu t1 b1", "3/6 djl fp32 cpu t1 b1",
            "4/6 resnet18_64 · ort fp32 cpu t1 b2", "5/6 resnet18_64-int8 · ort int8 cpu t1 b2", "6/6 djl fp32 cpu t1 b2");
        assertThat(runs).hasSize(2).allSatisfy(r -> {
            assertThat(r.label()).isEqualTo("vm");
            assertThat(r.results()).allSatisfy(c -> assertThat(c.ok()).as(c.reason()).isTrue());
            assertThat(r.model().arch()).isEqualTo("resnet18");
            assertThat(r.model().input()).containsExactly(3, 64, 64);
            assertThat(r.model().outputsPerImage()).isEqualTo(3);
        });
        BenchRun a = runs.get(0);
        BenchRun b = runs.get(1);
        assertThat(a.model().precision()).isEqualTo("fp32");
        assertThat(a.model().checkpoint()).isEqualTo(fp32.checkpoint().toString());
        assertThat(a.model().quantization()).isNull();
        assertThat(a.results()).extracting(ConfigResult::engine, ConfigResult::batch, ConfigResult::precision)
            .containsExactly(org.assertj.core.groups.Tuple.tuple("ort", 1, "fp32"),
                org.assertj.core.groups.Tuple.tuple("djl", 1, "fp32"), org.assertj.core.groups.Tuple.tuple("ort", 2, "fp32"),
                org.assertj.core.groups.Tuple.tuple("djl", 2, "fp32"));
        assertThat(b.model().precision()).isEqualTo("int8");
        assertThat(b.model().checkpoint()).isNull();
        assertThat(b.model().quantization()).startsWith("qdq;");
        assertThat(b.model().bytes()).isLessThan(a.model().bytes() / 2);
        assertThat(b.results()).extracting(ConfigResult::engine, ConfigResult::batch, ConfigResult::precision)
            .containsExactly(org.assertj.core.groups.Tuple.tuple("ort", 1, "int8"),
                org.assertj.core.groups.Tuple.tuple("ort", 2, "int8"));
        assertThat(a.notes()).noneMatch(n -> n.contains("not the ones"));

        // precision=fp32: each int8 row against the fp32 row of the same engine, device, threads, batch and mode
        List<ReportRow> rows = ReportRow.of(runs);
        Map<ReportRow, Double> up = Baseline.parse("precision=fp32").speedups(rows);
        assertThat(up).hasSize(2);
        for (int i = 0; i < 2; i++) {
            ConfigResult q = b.results().get(i);
            ConfigResult f = a.results().get(2 * i);
            double expected = f.latencyMs().p50() / q.latencyMs().p50();
            ReportRow row = rows.stream().filter(r -> r.result() == q).findFirst().orElseThrow();
            assertThat(row.label()).isEqualTo("resnet18_64-int8 · ort int8 cpu t1 b" + q.batch());
            assertThat(up.get(row)).isCloseTo(expected, within(1e-12)).isPositive();
        }
        String md = Tables.markdown(runs, Baseline.parse("precision=fp32"));
        assertThat(md).contains("| Configuration | Model | Precision |", "| resnet18_64-int8 · ort int8 cpu t1 b1 |"
            + " resnet18_64-int8 | int8 | ", "| resnet18_64 · djl fp32 cpu t1 b2 | resnet18_64 | fp32 | ",
            "Models: resnet18_64: fp32, ", "(0.").contains("×");
        assertThat(md.lines().filter(l -> l.contains(" int8 | ")).toList())
            .hasSize(2).allSatisfy(l -> assertThat(l).endsWith("× |"));

        // the results file: one run per model, each with its precision and size, every result with its precision
        Path out = dir.resolve("results.json");
        BenchResults.of(runs).write(out);
        JsonNode json = new ObjectMapper().readTree(Files.readString(out));
        assertThat(json.get("version").asInt()).isEqualTo(1);
        assertThat(json.at("/runs/0/model/precision").asText()).isEqualTo("fp32");
        assertThat(json.at("/runs/1/model/precision").asText()).isEqualTo("int8");
        assertThat(json.at("/runs/1/model/bytes").asLong()).isEqualTo(Files.size(int8.onnx()));
        assertThat(json.at("/runs/1/results/0/precision").asText()).isEqualTo("int8");
        assertThat(json.at("/runs/0/results/1/engine").asText()).isEqualTo("djl");
        assertThat(json.at("/runs/0/results/1/precision").asText()).isEqualTo("fp32");
        assertThat(BenchResults.read(out).runs()).isEqualTo(runs);
    }

    @Test
    void djlOnAnInt8ModelsCheckpointIsRecordedAsFp32() {
        TestModels.Model int8 = TestModels.resnet18Int8(64);
        BenchRun run = BenchRunner.run(BenchOptions.builder().setModel(int8.onnx()).optCheckpoint(int8.checkpoint())
            .optThreads(List.of(1)).optWarmup(1).optRuns(2).build(), null);
        assertThat(run.model().precision()).isEqualTo("int8");
        assertThat(run.results()).extracting(ConfigResult::engine, ConfigResult::precision).containsExactly(
            org.assertj.core.groups.Tuple.tuple("ort", "int8"), org.assertj.core.groups.Tuple.tuple("djl", "fp32"));
        assertThat(ReportRow.of(List.of(run))).extracting(ReportRow::label)
            .containsExactly("ort int8 cpu t1 b1", "djl fp32 cpu t1 b1");
    }

    @Test
    void badModelListsFailBeforeAnythingRuns() throws Exception {
        Path fp32 = TestModels.resnet18(64).onnx();
        assertThatThrownBy(() -> BenchOptions.builder().setModels(List.of(fp32, fp32)).build())
            .isInstanceOf(GraftException.class).hasMessageContaining("is given twice");
        Path sub = Files.createDirectories(dir.resolve("copy"));
        Path copy = Files.copy(fp32, sub.resolve(fp32.getFileName()));
        assertThatThrownBy(() -> BenchOptions.builder().setModels(List.of(fp32, copy)).build())
            .hasMessageContaining("have the same name").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> BenchOptions.builder().setModels(List.of()).build())
            .hasMessageContaining("needs a model");
        BenchOptions two = BenchOptions.builder().setModels(List.of(fp32, TestModels.resnet18Int8(64).onnx())).build();
        assertThatThrownBy(() -> BenchRunner.run(two, null)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("runAll");
    }
}
