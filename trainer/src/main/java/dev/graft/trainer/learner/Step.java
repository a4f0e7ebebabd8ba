package dev.graft.trainer.learner;

/** The learning rate and momentum of each layer group at one optimiser step, as the schedule set them. */
public record Step(double[] lr, double[] mom) {
}
