/**
 * The ONNX side of the exporter: a small builder for ONNX graphs, atomic writing of model files, and an ONNX
 * Runtime wrapper that proves each export runs.
 *
 * <p>The spec-to-ONNX translation lives elsewhere; this package knows nothing about ResNets or fastai heads. It
 * exists so that the translation can state "a Conv with these weights" once and get the protobuf details right
 * every time: node and tensor names that never collide, weights stored as little-endian {@code raw_data}, an IR
 * version that matches the opset, and operators that exist at the opset the model targets.
 *
 * <p>The protobuf classes ({@code dev.graft.exporter.onnx.proto.OnnxProto}) are generated at build time from
 * {@code src/main/proto/onnx.proto}.
 */
package dev.graft.exporter.onnx;
