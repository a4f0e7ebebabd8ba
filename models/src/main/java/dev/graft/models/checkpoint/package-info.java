/**
 * Trained models on disk: the checkpoint that the trainer writes and the exporter reads, with its task, labels and
 * preprocessing, and the run folder that commits each checkpoint (and the trainer's opaque training state) as one
 * atomic unit. It lives in {@code models} so that neither reader depends on the other.
 */
package dev.graft.models.checkpoint;
