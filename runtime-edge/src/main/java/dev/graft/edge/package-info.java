/**
 * Graft's runtime for deployed models: {@link dev.graft.edge.EdgeModel} runs an exported classifier in ONNX Runtime,
 * from an image to labels in one call.
 *
 * <p>This module is what a Java application adds to use a model, so it depends on ONNX Runtime and the SLF4J API only:
 * nothing from training, no DJL. Everything the application would otherwise have to restate (input size, resize
 * method, normalisation, channel order, task, labels) is read from the model's {@code graft.*} metadata
 * ({@link dev.graft.edge.MetadataKeys}, {@link dev.graft.edge.ModelMetadata}).
 *
 * <p>Set {@code ORT_DISABLE_TELEMETRY=1} in the environment of any process that loads ONNX Runtime: its Linux build
 * can send usage telemetry otherwise. {@link dev.graft.edge.EdgeModel} also switches it off through the API.
 */
package dev.graft.edge;
