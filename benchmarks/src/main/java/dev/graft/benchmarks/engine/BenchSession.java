package dev.graft.benchmarks.engine;

/**
 * An opened model, ready to run batches; what the benchmark times.
 *
 * <p>A session is used from one thread at a time. {@link #run} includes everything an application pays per call:
 * wrapping the input into the engine's tensor type, the inference, and copying the output back into Java memory.
 */
public interface BenchSession extends AutoCloseable {
    /** The device that actually runs the model, as the engine reports it ({@code cpu}, {@code cuda:0}). */
    String device();

    /**
     * Runs one batch.
     *
     * @param nchw {@code n} images as one row-major NCHW float array, already preprocessed
     * @param n images in the batch
     * @return the model's first output, flattened
     */
    float[] run(float[] nchw, int n);

    /** Releases the session's native memory. */
    @Override
    void close();
}
