package dev.graft.files;

/**
 * An input over its byte cap. A separate type because callers answer it differently from other refusals: a server
 * with 413 rather than 400, a command line with the option that raises the cap.
 */
public class ByteCapExceededException extends FileRefusedException {
    private static final long serialVersionUID = 1L;

    private final long size;
    private final long maxBytes;

    public ByteCapExceededException(String message, long size, long maxBytes) {
        super(message);
        this.size = size;
        this.maxBytes = maxBytes;
    }

    /** The input's size in bytes where it was known before reading, else -1 (a stream, a file that grew). */
    public long size() {
        return size;
    }

    /** The cap it exceeded. */
    public long maxBytes() {
        return maxBytes;
    }
}
