/**
 * Batch scoring of images on Apache Spark with runtime-edge: a Spark ML {@link dev.graft.spark.ImageScorer} stage, the
 * one-call {@link dev.graft.spark.GraftSpark} API and the {@code spark-submit} entry {@link dev.graft.spark.ScoreImages}.
 *
 * <p>Spark is a provided dependency: these classes run inside a Spark application and bring only runtime-edge and ONNX
 * Runtime with them, so that nothing of Graft's training side (PyTorch, protobuf) lands on an executor's class path.
 */
package dev.graft.spark;
