package dev.graft.trainer.data;

import dev.graft.models.GraftException;
import java.nio.file.Path;

/**
 * An image file that exists but cannot be decoded. The loader catches exactly this type to skip the file and keep
 * training; anything else a worker throws is a real failure and reaches the consumer.
 */
public class UnreadableImageException extends GraftException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final String reason;

    public UnreadableImageException(Path path, String reason) {
        this(path, reason, null);
    }

    public UnreadableImageException(Path path, String reason, Throwable cause) {
        super("Cannot read image " + path + ": " + reason, cause);
        this.path = path;
        this.reason = reason;
    }

    public Path path() {
        return path;
    }

    /** Why decoding failed, without the path. */
    public String reason() {
        return reason;
    }
}
