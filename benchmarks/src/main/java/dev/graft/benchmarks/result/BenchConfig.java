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
 * @param model the model's name when one run measures several models, else null
 * @param precision the model's precision ({@code fp32}, {@code fp16}, {@code int8}) when one run measures several
 *     models, else null
 */
public record BenchConfig(String engine, String device, int threads, int batch, String mode, String model,
                          String precision) {
    /** Timing of the inference alone, on a prepared input tensor. */
    public static final String MODEL = "model";
    /** Timing of read + decode + preprocess + inference from image files. */
    public static final String END_TO_END = "end-to-end";

    /** A configuration of a run that measures one model. */
    public BenchConfig(String engine, String device, int threads, int batch, String mode) {
        this(engine, device, threads, batch, mode, null, null);
    }

    /** The same configuration for one of several models. */
    public BenchConfig forModel(String modelName, String modelPrecision) {
        return new BenchConfig(engine, device, threads, batch, mode, modelName, modelPrecision);
    }

    /**
     * A short human label: {@code ort cpu t2 b8}, with {@code e2e} for end-to-end; with several models, the model and
     * precision too: {@code resnet18-int8 · ort int8 cpu t2 b8}.
     */
    public String label() {
        return String.format(Locale.ROOT, "%s%s%s %s t%d b%d%s", model == null ? "" : model + " · ", engine,
            precision == null ? "" : " " + precision, device, threads, batch, END_TO_END.equals(mode) ? " e2e" : "");
    }
}
