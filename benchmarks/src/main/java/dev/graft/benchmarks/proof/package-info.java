/**
 * The export proof under realistic numerics: {@link dev.graft.benchmarks.proof.TrainedLikeWeights} draws weights whose
 * BatchNorm statistics look trained, and {@link dev.graft.benchmarks.proof.ExportProofBench} proves every
 * architecture's default export with them and prints the figures behind the proof's tolerance rule.
 */
package dev.graft.benchmarks.proof;
