package dev.graft.trainer.learner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.TrainingState;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.NetworkBlock;
import dev.graft.trainer.schedule.LrFinderMath;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The learner's epoch history and training state as checkpoint JSON and arrays, and back: kept apart from the loop so
 * that the loop reads as a loop. The format is the one every Graft checkpoint since resumable training has.
 */
final class TrainingStates {
    /** What marks a training state as the learner's, and the names of Adam's arrays in it. */
    static final String STATE_KIND = "graft-learner";
    static final String GRAD_AVG = "/grad_avg";
    static final String SQR_AVG = "/sqr_avg";

    /** What a checkpoint's training state gives back besides Adam's arrays (null where it has none). */
    record Restored(LrFinderMath.SmoothLoss smooth, Step lastStep, int frozenBelow) {
    }

    /** The loop's values that go into a training state. */
    record Loop(int epochsDone, long seed, double wd, boolean freezeBatchNorm, int frozenBelow, Step lastStep,
                LrFinderMath.SmoothLoss smooth) {
    }

    private TrainingStates() {
    }

    static void putHistory(ObjectNode info, List<EpochResult> history) {
        ArrayNode h = info.putArray("history");
        for (EpochResult r : history) {
            h.addObject().put("epoch", r.epoch()).put("train_loss", r.trainLoss()).put("valid_loss", r.validLoss())
                .put("metric", r.metric()).put("second_metric", r.secondMetric()).put("seconds", r.seconds())
                .put("train_seconds", r.trainSeconds()).put("train_images", r.trainImages())
                .put("data_seconds", r.dataSeconds()).put("model_seconds", r.modelSeconds())
                .put("optimiser_seconds", r.optimiserSeconds());
        }
    }

    static List<EpochResult> history(JsonNode info) {
        List<EpochResult> out = new ArrayList<>();
        for (JsonNode h : info.path("history")) {
            out.add(new EpochResult(h.path("epoch").asInt(), h.path("train_loss").asDouble(Double.NaN),
                h.path("valid_loss").asDouble(Double.NaN), h.path("metric").asDouble(Double.NaN),
                h.path("second_metric").asDouble(Double.NaN), h.path("seconds").asDouble(Double.NaN),
                h.path("train_seconds").asDouble(Double.NaN), h.path("train_images").asInt(0),
                h.path("data_seconds").asDouble(Double.NaN), h.path("model_seconds").asDouble(Double.NaN),
                h.path("optimiser_seconds").asDouble(Double.NaN)));
        }
        return out;
    }

    /** See {@link Learner#checkpoint()}: ImageNet preprocessing at the training size, history in the info. */
    static Checkpoint checkpoint(LearnerBuilder.Parts parts, List<EpochResult> history, int frozenBelow,
                                 int epochsDone) {
        ObjectNode info = JsonNodeFactory.instance.objectNode();
        putHistory(info, history);
        info.put("frozen_below", frozenBelow);
        return new Checkpoint(parts.network(), parts.block().readWeights(), parts.task(), parts.labels(),
            Preprocessing.imagenet(parts.size(), parts.size()), Learner.THRESHOLD, epochsDone, info);
    }

    /**
     * Everything the rest of the run depends on besides the weights: Adam's step count and moving averages per
     * parameter (arrays {@code <name>/grad_avg} and {@code <name>/sqr_avg}), the train-loss smoother, the frozen
     * groups, the seed, weight decay and train_bn setting, and the last step's per-group learning rates and momentums.
     * The schedule's position is the epoch count; shuffling, augmentation and dropout are drawn from (seed, epoch,
     * item), so the epoch count is their position too.
     */
    static TrainingState write(Loop loop, LearnerBuilder.Parts parts) {
        Adam adam = parts.adam();
        List<String> optimised = parts.optimised();
        NetworkBlock block = parts.block();
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("kind", STATE_KIND);
        json.put("epochs_done", loop.epochsDone());
        json.put("seed", loop.seed());
        json.put("random", "shuffling, augmentation and dropout are drawn from (seed, epoch, item): epoch "
            + loop.epochsDone() + " is next");
        json.put("weight_decay", loop.wd());
        json.put("freeze_bn", loop.freezeBatchNorm());
        json.put("frozen_below", loop.frozenBelow());
        if (loop.lastStep() != null) {
            ObjectNode last = json.putObject("last_step");
            ArrayNode lr = last.putArray("lr");
            Arrays.stream(loop.lastStep().lr()).forEach(lr::add);
            ArrayNode mom = last.putArray("mom");
            Arrays.stream(loop.lastStep().mom()).forEach(mom::add);
        }
        if (loop.smooth() != null) {
            json.putObject("smooth_loss").put("beta", loop.smooth().beta()).put("average", loop.smooth().average())
                .put("count", loop.smooth().count());
        }
        ObjectNode steps = json.putObject("optimizer_steps");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<Adam.SlotState> state = adam.state();
        for (int i = 0; i < state.size(); i++) {
            Adam.SlotState st = state.get(i);
            String name = optimised.get(i);
            if (st.step() > 0) {
                steps.put(name, st.step());
            }
            if (st.gradAvg() != null) {
                long[] shape = block.parameter(name).getArray().getShape().getShape();
                tensors.put(name + GRAD_AVG, Tensor.ofFloats(shape, st.gradAvg()));
                tensors.put(name + SQR_AVG, Tensor.ofFloats(shape, st.sqrAvg()));
            }
        }
        return new TrainingState(json, tensors);
    }

    /**
     * Restores Adam from {@code state} and returns the rest; null when the state is missing or another writer's
     * (written by an older Graft, say: Adam then starts afresh).
     */
    static Restored restore(TrainingState state, Path from, int epochsDone, LearnerBuilder.Parts parts) {
        Adam adam = parts.adam();
        List<String> optimised = parts.optimised();
        if (state == null || !STATE_KIND.equals(state.json().path("kind").asText())) {
            return null;
        }
        JsonNode json = state.json();
        if (json.path("epochs_done").asInt(-1) != epochsDone) {
            throw new GraftException("the training state in " + from + " does not belong to its checkpoint "
                + "(epochs done differ)");
        }
        JsonNode steps = json.path("optimizer_steps");
        List<Adam.SlotState> slots = new ArrayList<>();
        for (String name : optimised) {
            Tensor avg = state.tensors().get(name + GRAD_AVG);
            Tensor sqr = state.tensors().get(name + SQR_AVG);
            int step = steps.path(name).asInt(0);
            if (step > 0 && (avg == null || sqr == null)) {
                throw new GraftException("the training state in " + from + " lacks the optimiser state of " + name);
            }
            slots.add(new Adam.SlotState(step, avg == null ? null : avg.toFloatArray(),
                sqr == null ? null : sqr.toFloatArray()));
        }
        try {
            adam.restore(slots);
        } catch (IllegalArgumentException e) {
            throw new GraftException("the training state in " + from + " does not fit the network: " + e.getMessage());
        }
        JsonNode sm = json.path("smooth_loss");
        LrFinderMath.SmoothLoss smooth = !sm.has("count") ? null : new LrFinderMath.SmoothLoss(
            sm.path("beta").asDouble(), sm.path("average").asDouble(), sm.path("count").asInt());
        JsonNode last = json.path("last_step");
        Step lastStep = last.path("lr").isArray() && last.path("mom").isArray()
            ? new Step(doubles(last.get("lr")), doubles(last.get("mom"))) : null;
        return new Restored(smooth, lastStep, json.path("frozen_below").asInt(0));
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
