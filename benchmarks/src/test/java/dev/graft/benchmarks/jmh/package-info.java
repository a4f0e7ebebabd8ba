/**
 * JMH microbenchmarks of the pieces around the model in end-to-end latency: image decoding and preprocessing, and
 * handing a tensor to ONNX Runtime or DJL. Run with
 * {@code ./mvnw -pl benchmarks -am package -DskipTests && ORT_DISABLE_TELEMETRY=1 java -jar benchmarks/target/benchmarks-jmh.jar}.
 */
package dev.graft.benchmarks.jmh;
