/**
 * {@code graft bench}: latency and throughput of a model (or several, such as one network's fp32 and int8 exports)
 * across engines, precisions, devices, thread counts and batch sizes, model-only and end to end, with the machine
 * recorded beside every figure.
 *
 * <p>{@link dev.graft.benchmarks.BenchOptions} describes a run, {@link dev.graft.benchmarks.BenchRunner} measures it
 * into a {@link dev.graft.benchmarks.result.BenchRun} per model, and {@link dev.graft.benchmarks.report.HtmlReport} and
 * {@link dev.graft.benchmarks.report.Tables} turn one or many runs (from several machines) into a report people can
 * look at.
 */
package dev.graft.benchmarks;
