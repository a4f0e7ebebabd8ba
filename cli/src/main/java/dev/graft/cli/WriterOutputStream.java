package dev.graft.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Bytes to a {@link PrintWriter}, decoded as UTF-8 at each flush: the trainer prints its epoch table to a
 * {@code PrintStream}, while the command line writes to the writers picocli (and the tests) hand it.
 */
final class WriterOutputStream extends OutputStream {
    private final PrintWriter target;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    WriterOutputStream(PrintWriter target) {
        this.target = target;
    }

    @Override
    public synchronized void write(int b) {
        pending.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        pending.write(b, off, len);
    }

    @Override
    public synchronized void flush() {
        target.write(pending.toString(StandardCharsets.UTF_8));
        pending.reset();
        target.flush();
    }

    @Override
    public void close() {
        flush();
    }
}
