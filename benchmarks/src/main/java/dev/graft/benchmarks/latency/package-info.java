/**
 * Latency figures of exported models in ONNX Runtime, printed by main classes and never asserted (a shared machine's
 * timings are not a test): {@link dev.graft.benchmarks.latency.ArchLatency} compares the bodies,
 * {@link dev.graft.benchmarks.latency.QuantSpeed} fp32 against int8 and fp16, and
 * {@link dev.graft.benchmarks.latency.EdgeOverhead} what runtime-edge adds around the raw ONNX Runtime API.
 * {@link dev.graft.benchmarks.latency.ArchCheckpoints} and {@link dev.graft.benchmarks.latency.ArchLatencyTable} are
 * the two ends of {@code benchmarks/scripts/arch-latency.sh}, which measures the architecture table through the
 * {@code graft} command itself: trained-like checkpoints in, one {@code graft bench} run's figures out.
 */
package dev.graft.benchmarks.latency;
