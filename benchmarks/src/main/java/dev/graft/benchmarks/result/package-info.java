/**
 * Benchmark results as data: one record per configuration, one run per invocation with the machine and the model it
 * measured, and the JSON file format that carries them between machines and into reports.
 */
package dev.graft.benchmarks.result;
