package dev.graft.files;

import java.io.IOException;

/**
 * A file that Graft will not write or read, by policy rather than because the operating system failed: a target
 * that is not a regular file, an output that is one of the command's inputs, an input over its byte cap or one that
 * never ends.
 *
 * <p>Its message is one complete line for the person at the terminal (the file, what is wrong, what to do), so a
 * caller wraps it in its own exception type without adding anything.
 */
public class FileRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    public FileRefusedException(String message) {
        super(message);
    }
}
