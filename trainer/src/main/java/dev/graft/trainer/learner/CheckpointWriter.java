package dev.graft.trainer.learner;

import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.models.checkpoint.TrainingState;
import java.nio.file.Path;

/**
 * Commits a checkpoint and its training state to a run folder as one atomic unit ({@link RunFolder}); what the
 * {@link Checkpointing} callback writes with. Holds the folder's lock from {@link #open} to {@link #close}.
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

    /** Commits {@code checkpoint} and {@code state} as the run's checkpoint. */
    public void write(Checkpoint checkpoint, TrainingState state) {
        folder.commit(checkpoint, state);
    }

    public Path dir() {
        return folder.dir();
    }

    @Override
    public void close() {
        folder.close();
    }
}
