package dev.graft.benchmarks.result;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.benchmarks.stats.LatencyStats;
import java.util.List;

/**
 * What one configuration measured, or why it did not run.
 *
 * <p>Field names follow ONNX Runtime's {@code onnxruntime_perf_test} where the two overlap ("Session creation time
 * cost", "First inference time cost", "Total inference requests", "Total inference run time", "Number of inferences per
 * second", "Avg CPU usage", "Peak working set size", "P50 Latency" ... "P999 Latency"), in milliseconds where perf_test
 * uses seconds.
 *
 * @param engine the engine ({@link BenchConfig})
 * @param device the device asked for
 * @param threads intra-op threads
 * @param batch images per inference
 * @param mode {@link BenchConfig#MODEL} or {@link BenchConfig#END_TO_END}
 * @param precision the numeric precision that ran: the ONNX model's {@code graft.precision} ({@code fp32} when
 *     absent) for ONNX Runtime, {@code fp32} for DJL (the checkpoint); null in results written before precision was
 *     recorded, where the run's model says it
 * @param status {@link #OK}, {@link #SKIPPED} (cannot run on this machine) or {@link #FAILED}
 * @param reason why it was skipped or failed
 * @param deviceUsed the device that actually ran, as the engine reported it
 * @param sessionCreationMs time to open the session (load, optimise, allocate)
 * @param firstInferenceMs the first inference after opening, warm-up excluded from the statistics
 * @param totalInferenceRequests measured inferences
 * @param totalInferenceRunTimeS wall time of the measured loop
 * @param latencyMs statistics of the measured latencies, per inference (per batch)
 * @param inferencesPerSecond measured inferences per second of wall time
 * @param imagesPerSecond throughput: batch x inferences per second
 * @param mlperfSingleStreamP90Ms MLPerf's single-stream metric: the 90th percentile of back-to-back batch-1 queries
 *     (null at other batch sizes)
 * @param peakWorkingSetBytes peak resident memory of the process during this configuration (VmHWM)
 * @param avgCpuUsagePercent process CPU time / (wall time x logical cores) x 100 over the measured loop
 * @param coresBusy process CPU time / wall time: how many cores the run kept busy
 * @param loadAverageBefore the machine's one-minute load average before the configuration (other processes included)
 * @param loadAverageAfter the same after it
 * @param latenciesMs every measured latency in order, rounded to the microsecond
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConfigResult(String engine, String device, int threads, int batch, String mode, String precision,
                           String status, String reason, String deviceUsed,
                           Double sessionCreationMs, Double firstInferenceMs, Integer totalInferenceRequests,
                           Double totalInferenceRunTimeS, LatencyStats latencyMs, Double inferencesPerSecond,
                           Double imagesPerSecond, Double mlperfSingleStreamP90Ms, Long peakWorkingSetBytes,
                           Double avgCpuUsagePercent, Double coresBusy, Double loadAverageBefore,
                           Double loadAverageAfter, List<Double> latenciesMs) {
    public static final String OK = "ok";
    public static final String SKIPPED = "skipped";
    public static final String FAILED = "failed";

    public ConfigResult {
        latenciesMs = latenciesMs == null ? null : List.copyOf(latenciesMs);
    }

    /** A configuration that could not run here, with the reason. */
    public static ConfigResult skipped(BenchConfig config, String reason) {
        return new ConfigResult(config.engine(), config.device(), config.threads(), config.batch(), config.mode(),
            config.precision(), SKIPPED, reason, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null);
    }

    /** A configuration that started and failed, with the one-line error. */
    public static ConfigResult failed(BenchConfig config, String reason) {
        return new ConfigResult(config.engine(), config.device(), config.threads(), config.batch(), config.mode(),
            config.precision(), FAILED, reason, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null);
    }

    /** The same result with its precision recorded. */
    public ConfigResult withPrecision(String p) {
        return new ConfigResult(engine, device, threads, batch, mode, p, status, reason, deviceUsed, sessionCreationMs,
            firstInferenceMs, totalInferenceRequests, totalInferenceRunTimeS, latencyMs, inferencesPerSecond,
            imagesPerSecond, mlperfSingleStreamP90Ms, peakWorkingSetBytes, avgCpuUsagePercent, coresBusy,
            loadAverageBefore, loadAverageAfter, latenciesMs);
    }

    /** The configuration this result is for. */
    @JsonIgnore
    public BenchConfig config() {
        return new BenchConfig(engine, device, threads, batch, mode);
    }

    @JsonIgnore
    public boolean ok() {
        return OK.equals(status);
    }
}
