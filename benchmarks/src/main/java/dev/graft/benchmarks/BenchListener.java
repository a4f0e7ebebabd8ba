package dev.graft.benchmarks;

import dev.graft.benchmarks.result.BenchConfig;
import dev.graft.benchmarks.result.ConfigResult;

/**
 * Hears how a benchmark run progresses, so a command line can show a progress bar and a test can stay quiet.
 *
 * <p>Work is counted in steps: one per warm-up or measured inference when the run counts inferences, and one per
 * tenth of a second of measuring when it is timed.
 */
public interface BenchListener {
    /** A listener that ignores everything. */
    BenchListener NONE = new BenchListener() {
    };

    /** A configuration starts; {@code index} counts from 1 up to {@code total}; {@code steps} is its planned work. */
    default void started(BenchConfig config, int index, int total, long steps) {
    }

    /** The current configuration has done {@code done} of its steps. */
    default void progress(long done) {
    }

    /** A configuration finished, was skipped or failed. */
    default void finished(ConfigResult result) {
    }

    /** Something the user should read (a mismatched checkpoint, a note on the measurement). */
    default void note(String message) {
    }
}
