package dev.graft.edge;

/**
 * A failure of the runtime: a model that cannot be loaded, a runtime error, a closed model.
 *
 * <p>runtime-edge cannot use Graft's {@code GraftException} (it must not depend on the training modules), so it has its
 * own unchecked type with the same contract: the message is one line a user can act on, never a native stack dump.
 * Input the caller can fix per request (an undecodable image, a wrong-size tensor) is the subclass
 * {@link BadInputException}, which a server answers with 400 while the model keeps serving; a failure inside ONNX
 * Runtime on input that passed every check is the subclass {@link EngineException}, which a server answers with 500.
 */
public class EdgeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EdgeException(String message) {
        super(message);
    }

    public EdgeException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A throwable's message on one line (ONNX Runtime's are multi-line C++ diagnostics). */
    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return message.replaceAll("\\s+", " ").trim();
    }
}
