package dev.graft.trainer.data;

import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Hears about images that could not be decoded during an epoch, so a command line can show them (or count them)
 * while training goes on without them. A loader calls it at most once per path, from a worker thread.
 */
@FunctionalInterface
public interface UnreadableImageListener {
    void unreadable(Path path, String reason);

    /** The default: one SLF4J warning per file. */
    static UnreadableImageListener logging() {
        return (path, reason) -> LoggerFactory.getLogger(DataLoader.class)
                .warn("Skipping unreadable image {}: {}", path, reason);
    }
}
