package dev.graft.edge;

/**
 * ONNX Runtime failed while running a batch that passed every input check: the model or the engine is at fault (a
 * graph that cannot take this batch size, an out-of-memory device, a kernel error), not the caller's input. A
 * separate type from {@link BadInputException} so that a server answers 500, not 400, and an operator looks at the
 * model rather than at the client.
 */
public class EngineException extends EdgeException {
    private static final long serialVersionUID = 1L;

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
