package dev.graft.models.checkpoint;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.weights.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a resumed run needs besides the weights (the optimiser's moments, the schedule's position, the loss smoother),
 * opaque to this package: the trainer fills it and reads it back. It is committed with the checkpoint it belongs to,
 * so the weights and the state of one epoch are always read together.
 *
 * @param json small values (counters, settings), kept in {@code checkpoint.json} under {@code training_state}
 * @param tensors large arrays by name, kept in the generation's {@code training-state.safetensors} in this order
 */
public record TrainingState(ObjectNode json, Map<String, Tensor> tensors) {
    public TrainingState {
        json = json == null ? JsonNodeFactory.instance.objectNode() : json.deepCopy();
        // insertion order kept: the file's bytes then depend on the state alone, not on a map's hashing
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors == null ? Map.of() : tensors));
    }
}
