package dev.graft.benchmarks.result;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How a run was measured.
 *
 * @param warmup warm-up inferences per configuration (the first is reported as the first inference)
 * @param runs measured inferences per configuration, or null when the run was timed
 * @param minSeconds measured seconds per configuration, or null when the run was counted
 * @param images the image folder of end-to-end configurations, or null
 * @param imageCount images found there
 * @param preprocessing how end-to-end inputs were prepared
 * @param peakRssPerConfiguration whether the peak memory was reset per configuration (else it is the process's peak)
 * @param seed seed of the random model-only inputs
 * @param spin whether engine threads were left to busy-wait (the engines' default); false with {@code --no-spin}
 * @param environment threading variables set for the process ({@code OMP_WAIT_POLICY}, {@code OMP_NUM_THREADS},
 *     ...), which change how PyTorch's threads wait
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunSettings(int warmup, Integer runs, Double minSeconds, String images, Integer imageCount,
                          String preprocessing, boolean peakRssPerConfiguration, long seed, Boolean spin,
                          java.util.Map<String, String> environment) {
    /** Environment variables that change how the engines' threads behave, recorded with every run. */
    public static final java.util.List<String> THREADING_VARIABLES = java.util.List.of("OMP_WAIT_POLICY",
        "OMP_NUM_THREADS", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "MKL_NUM_THREADS");

    public RunSettings {
        environment = environment == null ? java.util.Map.of() : java.util.Map.copyOf(environment);
    }

    /** The {@link #THREADING_VARIABLES} set in this process, sorted by name. */
    public static java.util.Map<String, String> threadingEnvironment() {
        java.util.Map<String, String> env = new java.util.TreeMap<>();
        for (String v : THREADING_VARIABLES) {
            String value = System.getenv(v);
            if (value != null) {
                env.put(v, value);
            }
        }
        return env;
    }
}
