/**
 * Graft's exporter: network spec plus weights in, a proven, self-describing ONNX classifier out.
 *
 * <p>{@link dev.graft.exporter.ExportOptions} says what to export, {@link dev.graft.exporter.OnnxExporter} writes the
 * graph, {@link dev.graft.exporter.ExportProof} checks it against the trained model (a
 * {@link dev.graft.exporter.TrainedReference}: its forward in float32 and float64; or a single
 * {@link dev.graft.exporter.ReferenceForward}) before the file is written, and {@link dev.graft.exporter.onnx.GraftMetadata}
 * is the contract with whatever serves the file. The library does not depend on the training engine; the engine comes
 * in only as the reference forward pass, supplied by the caller.
 */
package dev.graft.exporter;
