package dev.graft.benchmarks.jmh;

import org.openjdk.jmh.annotations.Benchmark;

public class TensorCreationBenchmark {
    @Benchmark
    public float[] alloc() {
        return new float[3 * 224 * 224];
    }
}
