/**
 * The export proof under realistic numerics: {@link dev.graft.benchmarks.proof.TrainedLikeWeights} draws weights whose
 * BatchNorm statistics look trained, and {@link dev.graft.benchmarks.proof.ExportProofBench} proves every
 * architecture's default export with them and prints the figures behind the proof's tolerance rule;
 * {@link dev.graft.benchmarks.proof.ExportErrorProbe} takes one architecture's distance from the float64 forward apart
 * (optimisation level, threads, folding, logits against probabilities, image by image).
 */
package dev.graft.benchmarks.proof;
