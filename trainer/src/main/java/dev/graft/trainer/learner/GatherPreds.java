package dev.graft.trainer.learner;

import ai.djl.ndarray.NDArray;
import dev.graft.models.checkpoint.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * fastai's GatherPredsCallback: collects the activated outputs (softmax, sigmoid, raw for regression, computed by the
 * engine) and the targets of the validation batches for {@link Learner#getPreds()}.
 */
final class GatherPreds implements Callback {
    private final List<float[]> probs = new ArrayList<>();
    private final List<float[]> targets = new ArrayList<>();

    @Override
    public void afterPred(TrainingView v) {
        if (v.training()) {
            return;
        }
        NDArray y = v.pred();
        NDArray p = switch (v.task()) {
            case SINGLE_LABEL -> y.softmax(1);
            case MULTI_LABEL -> y.getNDArrayInternal().sigmoid();
            case REGRESSION -> y;
        };
        float[] out = p.toFloatArray();
        int k = v.outputWidth();
        for (int i = 0; i < v.batchSize(); i++) {
            probs.add(Arrays.copyOfRange(out, i * k, (i + 1) * k));
            if (v.task() == Task.SINGLE_LABEL) {
                targets.add(new float[] {v.batch().classIndices()[i]});
            } else {
                int w = v.batch().targetWidth();
                targets.add(Arrays.copyOfRange(v.batch().targets(), i * w, (i + 1) * w));
            }
        }
    }

    Preds preds() {
        return new Preds(probs.toArray(new float[0][]), targets.toArray(new float[0][]));
    }
}
