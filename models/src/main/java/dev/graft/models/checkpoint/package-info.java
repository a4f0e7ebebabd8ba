/**
 * Trained models on disk: the checkpoint folder that the trainer writes and the exporter reads, with its task,
 * labels and preprocessing. It lives in {@code models} so that neither reader depends on the other.
 */
package dev.graft.models.checkpoint;
