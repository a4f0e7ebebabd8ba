package dev.graft.edge;

/**
 * An encoded image over {@link EdgeOptions#maxImageBytes()}: refused before it is read (a file) or decoded (bytes).
 * A separate type so that a server can answer 413 and a command line can name the option that raises the limit.
 */
public class ImageTooLargeException extends BadInputException {
    private static final long serialVersionUID = 1L;

    private final long maxBytes;

    public ImageTooLargeException(String message, long maxBytes, Throwable cause) {
        super(message, cause);
        this.maxBytes = maxBytes;
    }

    /** The limit the image exceeded, in bytes. */
    public long maxBytes() {
        return maxBytes;
    }
}
