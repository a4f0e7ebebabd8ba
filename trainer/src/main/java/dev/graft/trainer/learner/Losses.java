package dev.graft.trainer.learner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.models.checkpoint.Task;
import dev.graft.trainer.data.Batch;

/** fastai's loss for each task, on the engine so that backward sees it: averaged over the batch (and labels). */
final class Losses {
    private Losses() {
    }

    /** Cross-entropy (single-label), BCE on logits (multi-label) or MSE (regression) of {@code y} against {@code b}. */
    static NDArray of(Task task, NDManager bm, NDArray y, Batch b) {
        if (task == Task.SINGLE_LABEL) {
            int classes = (int) y.getShape().get(1);
            float[] oneHot = new float[b.n() * classes];
            int[] idx = b.classIndices();
            for (int i = 0; i < b.n(); i++) {
                oneHot[i * classes + idx[i]] = 1;
            }
            NDArray t = bm.create(oneHot, new Shape(b.n(), classes));
            return y.logSoftmax(1).mul(t).sum(new int[] {1}).neg().mean();
        }
        NDArray t = bm.create(b.targets(), y.getShape());
        if (task == Task.MULTI_LABEL) {
            // max(x, 0) - x t + log(1 + exp(-|x|)): PyTorch's numerically stable BCEWithLogits
            return y.maximum(0).sub(y.mul(t)).add(y.abs().neg().exp().add(1).log()).mean();
        }
        return y.sub(t).square().mean();
    }
}
