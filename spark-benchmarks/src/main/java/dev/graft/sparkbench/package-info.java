/**
 * Measurement programs of the Spark module (main classes, never tests): they need Spark on the class path, which the
 * {@code benchmarks} module does not have and must not get (it is on the {@code graft} command's class path).
 */
package dev.graft.sparkbench;
