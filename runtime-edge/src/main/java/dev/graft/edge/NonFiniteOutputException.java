package dev.graft.edge;

/**
 * The model computed NaN or an infinity for an input. Not a {@link BadInputException}: images and checked tensors are
 * finite, so the fault is the model's (weights holding NaN, an overflow inside the graph), and a server answers it as a
 * failure of the model, not of the request. The model stays usable; another input may still get a finite answer.
 */
public class NonFiniteOutputException extends EdgeException {
    private static final long serialVersionUID = 1L;

    public NonFiniteOutputException(String message) {
        super(message);
    }
}
