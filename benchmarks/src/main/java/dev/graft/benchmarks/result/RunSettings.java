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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunSettings(int warmup, Integer runs, Double minSeconds, String images, Integer imageCount,
                          String preprocessing, boolean peakRssPerConfiguration, long seed) {
}
