package dev.graft.models;

/**
 * A problem the user can fix: a bad option, a corrupt file, a shape that does not fit.
 *
 * <p>Its message is one line written for the person at the terminal, so the command line prints it as it is and
 * exits non-zero, without a stack trace. Programming errors stay ordinary runtime exceptions.
 */
public class GraftException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GraftException(String message) {
        super(message);
    }

    public GraftException(String message, Throwable cause) {
        super(message, cause);
    }
}
