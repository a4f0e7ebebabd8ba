/** {@code graft interpret} measured against {@code graft predict}: throughput and peak memory as the folder grows. */
package dev.graft.benchmarks.interpret;
