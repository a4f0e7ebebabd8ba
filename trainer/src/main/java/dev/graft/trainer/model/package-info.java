/**
 * Graft networks as DJL blocks on the PyTorch engine.
 *
 * <p>The network spec in {@code dev.graft.models.spec} is the single description every part of Graft reads; this
 * package turns it into something DJL can train, without a second description to drift out of step. Parameters keep
 * the spec's full PyTorch-style names, so weights move between a safetensors file, the engine and the learner's
 * per-group bookkeeping by name alone.
 */
package dev.graft.trainer.model;
