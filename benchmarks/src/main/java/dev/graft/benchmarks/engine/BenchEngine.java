package dev.graft.benchmarks.engine;

/**
 * One way of running the model, as the benchmark sees it: something that opens sessions on a device with a number of
 * threads and turns an NCHW batch into outputs.
 *
 * <p>The benchmark measures engines, not models, so the interface is deliberately the smallest one every engine can
 * offer: float arrays in, float arrays out. Opening is a separate, timed step (session creation time), and an engine
 * that cannot run on a device says so with an {@link EngineUnavailableException}, which the benchmark reports as a
 * skipped configuration with its reason rather than as a failure.
 */
public interface BenchEngine {
    /** The engine's short name, as given to {@code --engine}: {@code ort}, {@code djl}. */
    String name();

    /** The runtime's version (ONNX Runtime's native version, DJL's and PyTorch's), for the results' machine record. */
    String version();

    /**
     * Opens a session: loads and prepares the model on {@code device} with {@code threads} intra-op threads.
     *
     * @param device {@code cpu}, {@code cuda} or {@code cuda:N}
     * @param threads threads for one inference (at least 1)
     * @throws EngineUnavailableException if this engine cannot run on that device here (reported as skipped)
     */
    BenchSession open(String device, int threads);
}
