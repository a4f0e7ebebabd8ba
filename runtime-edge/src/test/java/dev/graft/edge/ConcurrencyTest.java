package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.image.testing.TestImages;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One model shared by 16 threads gives, prediction for prediction, the answers of a serial run. */
class ConcurrencyTest {
    private static final int THREADS = 16;
    private static final int PER_THREAD = 200;

    @Test
    void sixteenThreadsTimesTwoHundredEqualsSerial() throws Exception {
        // Images of different sizes and formats, so the pooled buffers grow, shrink and get reused across threads.
        List<EdgeInput> inputs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            var img = TestImages.picture(40 + 13 * i, 30 + 9 * i, i);
            inputs.add(i % 3 == 2 ? EdgeInput.of(img) : EdgeInput.of(TestImages.encode(img, i % 3 == 0 ? "jpeg" : "png")));
        }
        // The golden model read at 32 x 32 (the graph takes any size) and one intra-op thread per call: 3,200
        // predictions stay quick on a small shared machine, and every call's work is its own.
        byte[] small = TestModels.withMetadata(TestModels.goldenSoftmax(), "graft.input.size", "32,32");
        EdgeOptions options = EdgeOptions.builder().optDevice("cpu").optIntraOpThreads(1).build();
        try (EdgeModel model = EdgeModel.load(small, options)) {
            assertThat(model.inputHeight()).isEqualTo(32);
            List<float[]> serial = new ArrayList<>();
            for (EdgeInput in : inputs) {
                serial.add(model.predictBatch(List.of(in)).get(0).scores());
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            long start = System.nanoTime();
            try {
                List<Future<Integer>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    final int thread = t;
                    Callable<Integer> task = () -> {
                        int mismatches = 0;
                        for (int i = 0; i < PER_THREAD; i++) {
                            int k = (thread * 7 + i) % inputs.size();
                            float[] got = model.predictBatch(List.of(inputs.get(k))).get(0).scores();
                            if (!java.util.Arrays.equals(got, serial.get(k))) {
                                mismatches++;
                            }
                        }
                        return mismatches;
                    };
                    futures.add(pool.submit(task));
                }
                int mismatches = 0;
                for (Future<Integer> f : futures) {
                    mismatches += f.get(10, TimeUnit.MINUTES);
                }
                System.out.printf("%d threads x %d predictions: %d mismatches, %.1f s%n", THREADS, PER_THREAD,
                        mismatches, (System.nanoTime() - start) / 1e9);
                assertThat(mismatches).isZero();
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
