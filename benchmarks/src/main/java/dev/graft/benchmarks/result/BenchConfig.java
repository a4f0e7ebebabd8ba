package dev.graft.benchmarks.result;

import java.util.Locale;

/**
 * One point of the benchmark's matrix: which engine, on which device, with how many threads, at what batch size, and
 * whether the timing covers the model alone or the whole way from an image file.
 *
 * @param engine {@code ort} or {@code djl}
 * @param device {@code cpu} or {@code cuda:N}
 * @param threads intra-op threads
 * @param batch images per inference
 * @param mode {@link #MODEL} or {@link #END_TO_END}
 */
public record BenchConfig(String engine, String device, int threads, int batch, String mode) {
    /** Timing of the inference alone, on a prepared input tensor. */
    public static final String MODEL = "model";
    /** Timing of read + decode + preprocess + inference from image files. */
    public static final String END_TO_END = "end-to-end";

    /** A short human label: {@code ort cpu t2 b8}, with {@code e2e} for end-to-end. */
    public String label() {
        return String.format(Locale.ROOT, "%s %s t%d b%d%s", engine, device, threads, batch,
            END_TO_END.equals(mode) ? " e2e" : "");
    }
}
