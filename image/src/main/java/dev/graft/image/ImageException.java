package dev.graft.image;

/**
 * A failure of the image pipeline with a one-line message a user can act on.
 *
 * <p>The module cannot use the callers' exception types (runtime-edge's {@code EdgeException}, the training side's
 * {@code GraftException}) without depending on them, so it has its own; each caller turns it into its own type with
 * the same message. A setting that cannot describe an image (an unknown channel letter, a zero size) is this type; an
 * image that cannot be used is the subclass {@link BadImageException}.
 */
public class ImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
