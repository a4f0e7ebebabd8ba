package dev.graft.image;

/**
 * The image itself is unusable: empty, not an image, truncated, corrupt, or over the pixel limit. A separate type
 * because it is the caller's input that is at fault, not the settings: a server answers it with 400 and keeps serving.
 */
public class BadImageException extends ImageException {
    private static final long serialVersionUID = 1L;

    public BadImageException(String message) {
        super(message);
    }

    public BadImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
