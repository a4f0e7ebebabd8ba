package dev.graft.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.benchmarks.result.BenchConfig;
import dev.graft.benchmarks.result.BenchResults;
import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.models.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short real benchmark: resnet18 at 64 px in ONNX Runtime and in DJL's PyTorch, model-only and from PNG files. */
class BenchRunnerTest {
    @TempDir
    Path dir;

    @Test
    void shortRealRunWritesValidJson() throws Exception {
        TestModels.Model model = TestModels.resnet18(64);
        List<String> events = new ArrayList<>();
        BenchOptions options = BenchOptions.builder().setModel(model.onnx()).optCheckpoint(model.checkpoint())
            .optDevices(List.of("cpu", "cuda")).optThreads(List.of(1)).optBatches(List.of(1, 2))
            .optEngines(List.of("ort", "djl")).optWarmup(2).optRuns(8).optImages(TestModels.images())
            .optLabel("test-machine").build();
        BenchRun run = BenchRunner.run(options, new BenchListener() {
            @Override
            public void started(BenchConfig config, int index, int total, long steps) {
                events.add("start " + index + "/" + total + " " + config.label());
            }

            @Override
            public void finished(ConfigResult result) {
                events.add("end " + result.config().label() + " " + result.status());
            }
        });

        // cpu x {b1, b2} x {ort, djl} x {model, e2e} ran; the same on cuda was skipped with the reason
        assertThat(run.results()).hasSize(16);
        assertThat(events).hasSize(32).first().isEqualTo("start 1/16 ort cpu t1 b1");
        List<ConfigResult> cpu = run.results().stream().filter(r -> r.device().equals("cpu")).toList();
        List<ConfigResult> cuda = run.results().stream().filter(r -> r.device().equals("cuda:0")).toList();
        assertThat(cpu).hasSize(8).allSatisfy(r -> assertThat(r.status()).as(r.reason()).isEqualTo("ok"));
        assertThat(cuda).hasSize(8).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo("skipped");
            assertThat(r.reason()).isNotBlank();
        });
        assertThat(cuda.stream().filter(r -> r.engine().equals("ort")).findFirst().orElseThrow().reason())
            .contains("CUDA");
        for (ConfigResult r : cpu) {
            assertThat(r.totalInferenceRequests()).isEqualTo(8);
            assertThat(r.latenciesMs()).hasSize(8);
            assertThat(r.latencyMs().min()).isPositive().isLessThanOrEqualTo(r.latencyMs().p50());
            assertThat(r.latencyMs().p50()).isLessThanOrEqualTo(r.latencyMs().p90());
            assertThat(r.latencyMs().p99()).isLessThanOrEqualTo(r.latencyMs().max());
            assertThat(r.sessionCreationMs()).isPositive();
            assertThat(r.firstInferenceMs()).isPositive();
            assertThat(r.imagesPerSecond()).isCloseTo(r.inferencesPerSecond() * r.batch(),
                org.assertj.core.data.Percentage.withPercentage(1e-9));
            assertThat(r.inferencesPerSecond() * r.totalInferenceRunTimeS()).isCloseTo(8.0,
                org.assertj.core.data.Offset.offset(1e-6));
            assertThat(r.peakWorkingSetBytes()).isGreaterThan(50L << 20);
            assertThat(r.avgCpuUsagePercent()).isPositive();
            assertThat(r.deviceUsed()).isEqualTo("cpu");
            assertThat(r.mlperfSingleStreamP90Ms() != null)
                .isEqualTo(r.batch() == 1 && r.mode().equals(BenchConfig.MODEL));
        }
        assertThat(run.model().outputsPerImage()).isEqualTo(3);
        assertThat(run.model().input()).containsExactly(3, 64, 64);
        assertThat(run.notes()).noneMatch(n -> n.contains("not the ones"));
        assertThat(run.machine().onnxRuntime()).isNotBlank();
        assertThat(run.machine().djl()).isNotBlank();
        assertThat(run.machine().pytorch()).isNotBlank();
        assertThat(run.machine().cores()).isPositive();
        assertThat(run.settings().imageCount()).isEqualTo(12);

        Path out = dir.resolve("results.json");
        BenchResults.of(List.of(run)).write(out);
        JsonNode json = new ObjectMapper().readTree(Files.readString(out));
        assertThat(json.get("format").asText()).isEqualTo("graft-bench");
        JsonNode first = json.at("/runs/0/results/0");
        assertThat(first.get("engine").asText()).isEqualTo("ort");
        assertThat(first.get("status").asText()).isEqualTo("ok");
        for (String key : List.of("session_creation_ms", "first_inference_ms", "total_inference_requests",
                "inferences_per_second", "images_per_second", "mlperf_single_stream_p90_ms", "peak_working_set_bytes",
                "avg_cpu_usage_percent", "latencies_ms")) {
            assertThat(first.has(key)).as(key).isTrue();
        }
        for (String key : List.of("p50", "p90", "p95", "p99", "p999", "mean", "stddev", "min", "max")) {
            assertThat(first.at("/latency_ms/" + key).isNumber()).as(key).isTrue();
        }
        assertThat(json.at("/runs/0/machine/cpu_model").asText()).isNotBlank();
        assertThat(json.at("/runs/0/results/8/reason").asText()).isNotBlank();

        BenchRun back = BenchResults.read(out).runs().get(0);
        assertThat(back).isEqualTo(run);
    }

    @Test
    void checkpointOfOtherWeightsIsNoted() {
        TestModels.Model model = TestModels.resnet18(64);
        Path other = dir.resolve("other");
        TestModels.write("resnet18", 3, 64, 99, other, dir.resolve("other.onnx"));
        BenchRun run = BenchRunner.run(BenchOptions.builder().setModel(model.onnx()).optCheckpoint(other)
            .optThreads(List.of(1)).optEngines(List.of("djl")).optWarmup(1).optRuns(2).build(), null);
        assertThat(run.notes()).anyMatch(n -> n.contains("not the ones the ONNX model was exported from"));
        assertThat(run.results()).singleElement().satisfies(r -> assertThat(r.ok()).isTrue());
    }

    @Test
    void noSpinIsRecordedAndExplainedForPyTorch() {
        TestModels.Model model = TestModels.resnet18(64);
        BenchRun run = BenchRunner.run(BenchOptions.builder().setModel(model.onnx()).optCheckpoint(model.checkpoint())
            .optThreads(List.of(2)).optWarmup(1).optRuns(3).optSpin(false).build(), null);
        assertThat(run.results()).hasSize(2).allSatisfy(r -> assertThat(r.ok()).as(r.reason()).isTrue());
        assertThat(run.settings().spin()).isFalse();
        boolean passive = "PASSIVE".equalsIgnoreCase(System.getenv("OMP_WAIT_POLICY"));
        assertThat(run.notes().stream().anyMatch(n -> n.contains("OMP_WAIT_POLICY=PASSIVE"))).isEqualTo(!passive);
        assertThat(run.settings().environment()).isEqualTo(dev.graft.benchmarks.result.RunSettings.threadingEnvironment());
    }

    @Test
    void timedRunMeasuresForAtLeastTheGivenSeconds() {
        TestModels.Model model = TestModels.resnet18(64);
        BenchRun run = BenchRunner.run(BenchOptions.builder().setModel(model.onnx()).optThreads(List.of(1))
            .optWarmup(1).optMinSeconds(0.3).build(), null);
        ConfigResult r = run.results().get(0);
        assertThat(r.totalInferenceRunTimeS()).isGreaterThanOrEqualTo(0.3);
        assertThat(r.totalInferenceRequests()).isGreaterThan(1).isEqualTo(r.latenciesMs().size());
        assertThat(run.settings().runs()).isNull();
        assertThat(run.settings().minSeconds()).isEqualTo(0.3);
    }

    @Test
    void badOptionsFailBeforeAnythingRuns() {
        Path onnx = TestModels.resnet18(64).onnx();
        assertThatThrownBy(() -> BenchOptions.builder().setModel(onnx).optEngines(List.of("djl")).build())
            .isInstanceOf(GraftException.class).hasMessageContaining("--checkpoint");
        assertThatThrownBy(() -> BenchOptions.builder().setModel(onnx).optEngines(List.of("tensorflow")).build())
            .hasMessageContaining("unknown engine 'tensorflow'");
        assertThatThrownBy(() -> BenchOptions.builder().setModel(onnx).optDevices(List.of("tpu")).build())
            .hasMessageContaining("unknown device 'tpu'");
        assertThatThrownBy(() -> BenchOptions.builder().setModel(onnx).optRuns(10).optMinSeconds(1.0).build())
            .hasMessageContaining("not both");
        assertThatThrownBy(() -> BenchOptions.builder().setModel(onnx).optBatches(List.of(0)).build())
            .hasMessageContaining("--batch");
        assertThatThrownBy(() -> BenchOptions.builder().setModel(dir.resolve("missing.onnx")).build())
            .hasMessageContaining("does not exist");
    }

    @Test
    void aFileThatIsNotAModelIsOneLine() throws Exception {
        Path junk = dir.resolve("junk.onnx");
        Files.writeString(junk, "not a model");
        BenchOptions options = BenchOptions.builder().setModel(junk).build();
        assertThatThrownBy(() -> BenchRunner.run(options, null)).isInstanceOf(GraftException.class)
            .hasMessageContaining("is not a model ONNX Runtime can load").hasMessageNotContaining("\n");
    }
}
