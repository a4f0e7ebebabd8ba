package dev.graft.trainer.learner;

import dev.graft.models.checkpoint.RunFolder;
import java.nio.file.Path;

/**
 * Commits a learner's checkpoint and training state to its run folder at an epoch end, as one atomic unit
 * ({@link RunFolder}). Kept apart from the training loop, which only calls {@link #write}, so that where and how often
 * checkpoints go can change without touching the loop. Holds the folder's lock from {@link #open} to {@link #close}.
 */
public final class CheckpointWriter implements AutoCloseable {
    private final RunFolder folder;

    private CheckpointWriter(RunFolder folder) {
        this.folder = folder;
    }

    /** Opens (creating, locking and tidying) the run folder {@code dir}; one line if it cannot be written. */
    public static CheckpointWriter open(Path dir) {
        return new CheckpointWriter(RunFolder.open(dir));
    }

    /** Commits the learner's current weights, history and training state as the run's checkpoint. */
    public void write(Learner learner) {
        folder.commit(learner.checkpoint(), learner.trainingState());
    }

    public Path dir() {
        return folder.dir();
    }

    @Override
    public void close() {
        folder.close();
    }
}
