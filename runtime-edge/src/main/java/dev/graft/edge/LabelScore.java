package dev.graft.edge;

/**
 * One entry of a prediction: an output's index, its label and its score.
 *
 * @param index the position in the model's output
 * @param label the class name from the model's metadata (the index as text when the model has none)
 * @param score a probability for single- and multi-label models, the predicted number for regression
 */
public record LabelScore(int index, String label, float score) {
}
