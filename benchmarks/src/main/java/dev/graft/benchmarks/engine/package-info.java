/**
 * The engines a benchmark compares, behind one small interface: ONNX Runtime running the exported graph
 * ({@link dev.graft.benchmarks.engine.OrtEngine}) and DJL's PyTorch running the trained network from its checkpoint
 * ({@link dev.graft.benchmarks.engine.DjlEngine}).
 */
package dev.graft.benchmarks.engine;
