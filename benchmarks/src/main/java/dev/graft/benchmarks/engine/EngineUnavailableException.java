package dev.graft.benchmarks.engine;

/**
 * An engine cannot run on the requested device on this machine (no CUDA build, no GPU): not an error of the
 * benchmark, a fact about the machine, so the configuration is reported as skipped with {@link #getMessage()} as the
 * reason.
 */
public class EngineUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EngineUnavailableException(String reason) {
        super(reason);
    }

    public EngineUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
