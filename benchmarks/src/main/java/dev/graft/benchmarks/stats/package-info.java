/**
 * Latency statistics: percentiles, mean and spread of a sample of timings, defined as the reference tools define them
 * so the numbers compare.
 */
package dev.graft.benchmarks.stats;
