/** Graft's benchmarks module. */
package dev.graft.benchmarks;
