package dev.graft.edge;

/**
 * The input of one prediction is unusable: not an image, truncated, empty, too large to decode, or a tensor of the
 * wrong size. The model itself is fine and the next call may succeed, which is why this is a separate type: a server
 * answers it with 400 and keeps serving, a batch job logs it and moves on.
 */
public class BadInputException extends EdgeException {
    private static final long serialVersionUID = 1L;

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
