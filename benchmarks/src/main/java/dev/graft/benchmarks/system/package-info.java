/**
 * The machine and the process under measurement: hardware and runtime versions, CPU time, peak memory and the load
 * around a run, so each figure comes with the conditions it was measured under.
 */
package dev.graft.benchmarks.system;
