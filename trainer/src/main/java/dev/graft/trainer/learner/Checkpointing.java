package dev.graft.trainer.learner;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.checkpoint.Checkpoint;
import java.nio.file.Path;

/**
 * Commits a checkpoint and the training state to a run folder at the end of every validated epoch
 * ({@link CheckpointWriter}, one atomic unit), so a run killed at any instant loses at most the epoch in progress.
 * Holds the folder's lock from {@link #open} until closed (the learner closes it with itself): open it before building
 * a learner that resumes from the same folder, so that no other process replaces the checkpoint being read.
 */
public final class Checkpointing implements Callback, AutoCloseable {
    private final CheckpointWriter writer;
    private final ObjectNode runInfo;

    private Checkpointing(CheckpointWriter writer, ObjectNode runInfo) {
        this.writer = writer;
        this.runInfo = runInfo;
    }

    /**
     * Opens (creating, locking and tidying) the run folder {@code dir}; one line if it cannot be written.
     * {@code runInfo} (how the run was started, null for nothing) is saved in every checkpoint's info under "run".
     */
    public static Checkpointing open(Path dir, ObjectNode runInfo) {
        return new Checkpointing(CheckpointWriter.open(dir), runInfo == null ? null : runInfo.deepCopy());
    }

    @Override
    public void afterEpoch(TrainingView v) {
        if (v.epochResult() == null) {
            return; // lr_find's passes: their weights are thrown away
        }
        Checkpoint c = v.checkpoint();
        if (runInfo != null) {
            ObjectNode info = c.info().deepCopy();
            info.set("run", runInfo.deepCopy());
            c = new Checkpoint(c.network(), c.weights(), c.task(), c.labels(), c.preprocessing(), c.threshold(),
                c.epochsDone(), info);
        }
        writer.write(c, v.trainingState());
    }

    public Path dir() {
        return writer.dir();
    }

    @Override
    public void close() {
        writer.close();
    }
}
