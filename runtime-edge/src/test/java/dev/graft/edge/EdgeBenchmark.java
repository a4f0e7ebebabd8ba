package dev.graft.edge;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.image.testing.TestImages;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The runtime figures, printed (never asserted: a shared machine's timings are not a test):
 * <ol>
 *   <li>resnet18 at 224 x 224, batch 1, median latency through {@link EdgeModel} versus the raw ONNX Runtime Java API
 *       on a session with the same settings, in the same process (target: overhead at most 3%);</li>
 *   <li>a 640 x 480 JPEG to top-5 versus a ready tensor, both through {@link EdgeModel} (target: at most 1.25x).</li>
 * </ol>
 * The two sides run in alternating blocks so that load on the machine drifts over both alike. Off by default; run with
 * {@code ./mvnw -B -o -pl runtime-edge -am test -Dtest=EdgeBenchmark -Dgraft.bench=true
 * -Dsurefire.failIfNoSpecifiedTests=false} (optionally {@code -Dgraft.bench.threads=N}, {@code -Dgraft.bench.rounds=N}).
 */
@EnabledIfSystemProperty(named = "graft.bench", matches = "true")
class EdgeBenchmark {
    private static final int PER_BLOCK = 20;

    interface Call {
        void run() throws Exception;
    }

    private static double[] time(Call a, Call b, int rounds) throws Exception {
        double[] ta = new double[rounds * PER_BLOCK];
        double[] tb = new double[rounds * PER_BLOCK];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < PER_BLOCK; i++) {
                long s = System.nanoTime();
                a.run();
                ta[r * PER_BLOCK + i] = (System.nanoTime() - s) / 1e6;
            }
            for (int i = 0; i < PER_BLOCK; i++) {
                long s = System.nanoTime();
                b.run();
                tb[r * PER_BLOCK + i] = (System.nanoTime() - s) / 1e6;
            }
        }
        return new double[] {percentile(ta, 50), percentile(tb, 50), percentile(ta, 90), percentile(tb, 90)};
    }

    static double percentile(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(p / 100 * (s.length - 1)))];
    }

    @Test
    void figures() throws Exception {
        int threads = Integer.getInteger("graft.bench.threads", 1);
        int rounds = Integer.getInteger("graft.bench.rounds", 15);
        byte[] onnx = TestModels.withMetadata(TestModels.goldenSoftmax(), "graft.input.size", "224,224");
        float[] tensor = new float[3 * 224 * 224];
        Random rnd = new Random(1);
        for (int i = 0; i < tensor.length; i++) {
            tensor[i] = (float) rnd.nextGaussian();
        }
        byte[] jpeg = TestImages.encode(TestImages.picture(640, 480, 42), "jpeg");
        System.out.printf(Locale.ROOT, "machine: %d CPUs, load average %s; intra-op threads %d; %d x %d runs per side%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), threads, rounds, PER_BLOCK);

        EdgeOptions options = EdgeOptions.builder().optDevice("cpu").optIntraOpThreads(threads).build();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (EdgeModel model = EdgeModel.load(onnx, options);
             OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setIntraOpNumThreads(threads);
            try (OrtSession raw = env.createSession(onnx, so)) {
                long[] shape = {1, 3, 224, 224};
                Call rawCall = () -> {
                    // What an application writes against ONNX Runtime directly: wrap, run, read the scores.
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensor), shape);
                         OrtSession.Result r = raw.run(Map.of("input", in))) {
                        float[][] out = (float[][]) r.get(0).getValue();
                        if (out[0].length != 3) {
                            throw new AssertionError();
                        }
                    }
                };
                Call edgeCall = () -> model.predict(tensor).answer();
                for (int i = 0; i < 30; i++) {
                    rawCall.run();
                    edgeCall.run();
                }
                double[] t = time(edgeCall, rawCall, rounds);
                System.out.printf(Locale.ROOT, "resnet18 224 batch 1: EdgeModel.predict(tensor) p50 %.2f ms (p90 %.2f),"
                        + " raw ONNX Runtime API p50 %.2f ms (p90 %.2f): overhead %+.1f%% (target <= 3%%)%n",
                        t[0], t[2], t[1], t[3], 100 * (t[0] / t[1] - 1));
                Call jpegCall = () -> model.predict(jpeg).top(5);
                for (int i = 0; i < 30; i++) {
                    jpegCall.run();
                }
                double[] j = time(jpegCall, edgeCall, rounds);
                System.out.printf(Locale.ROOT, "JPEG 640x480 to top-5 p50 %.2f ms (p90 %.2f), tensor-only p50 %.2f ms"
                        + " (p90 %.2f): %.3fx (target <= 1.25x)%n", j[0], j[2], j[1], j[3], j[0] / j[1]);
                double[] pre = new double[200];
                for (int i = 0; i < pre.length; i++) {
                    long s = System.nanoTime();
                    model.preprocess(jpeg);
                    pre[i] = (System.nanoTime() - s) / 1e6;
                }
                System.out.printf(Locale.ROOT, "  of which JPEG decode + resize + normalise alone: p50 %.2f ms%n",
                        percentile(pre, 50));
            }
        }
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
