package dev.graft.benchmarks.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What it costs to hand a preprocessed NCHW batch to an engine, per call: the part of every inference that is neither
 * preprocessing nor the model. ONNX Runtime from a heap array (copied into native memory) and from a reused direct
 * buffer (no copy), and a DJL PyTorch NDArray from a heap array, at 224 x 224.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx2g"})
public class TensorCreationBenchmark {
    @Param({"1", "8"})
    public int batch;

    private OrtEnvironment env;
    private float[] input;
    private FloatBuffer direct;
    private long[] shape;
    private NDManager manager;

    @Setup(Level.Trial)
    public void setUp() throws OrtException {
        env = OrtEnvironment.getEnvironment();
        env.setTelemetry(false);
        shape = new long[] {batch, 3, 224, 224};
        input = new float[batch * 3 * 224 * 224];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) rnd.nextDouble(-2, 2);
        }
        direct = ByteBuffer.allocateDirect(input.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(input).rewind();
        manager = NDManager.newBaseManager("PyTorch");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /** What {@code OrtEngine} does per call: wrap the heap array (ONNX Runtime copies it to native memory). */
    @Benchmark
    public long ortFromHeapArray() throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape)) {
            return t.getInfo().getNumElements();
        }
    }

    /** A reused direct buffer in native order: ONNX Runtime uses it in place. */
    @Benchmark
    public long ortFromDirectBuffer() throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(env, direct, shape)) {
            return t.getInfo().getNumElements();
        }
    }

    /** Filling the reused direct buffer from the heap array, then wrapping it: the copy done by hand. */
    @Benchmark
    public long ortCopyIntoDirectBuffer() throws OrtException {
        direct.clear();
        direct.put(input).flip();
        try (OnnxTensor t = OnnxTensor.createTensor(env, direct, shape)) {
            return t.getInfo().getNumElements();
        }
    }

    /** What {@code InferenceModel.forward} does per call before the forward: an NDArray in a sub-manager. */
    @Benchmark
    public long djlFromHeapArray() {
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = sub.create(input, new Shape(shape));
            return x.size();
        }
    }
}
