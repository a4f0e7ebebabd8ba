package dev.graft.trainer.learner;

/** Validation predictions: activated outputs per image, and targets (the class index for single-label). */
public record Preds(float[][] probabilities, float[][] targets) {
}
