package dev.graft.interpret;

/** A problem the user can fix (a missing folder, a class the model lacks), told in one line. */
public final class InterpretException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InterpretException(String message) {
        super(message);
    }

    public InterpretException(String message, Throwable cause) {
        super(message, cause);
    }
}
