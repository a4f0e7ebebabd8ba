/** Measurements of a real {@code graft serve} process: memory and latency under heavy clients. */
package dev.graft.benchmarks.serve;
