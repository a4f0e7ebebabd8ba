package dev.graft.benchmarks.latency;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Batch-1 latency at 224 x 224 of each body (+ fastai's default head, 10 classes, BatchNorm folded) in ONNX Runtime
 * on the CPU: 2 intra-op threads, all graph optimisations, 20 warm-up runs, then the median and 90th percentile of
 * 100 timed runs. The fp32 batch-1 column of docs/mobile-bodies.md without the CLI.
 *
 * <pre>
 * java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.ArchLatency [arch ...]
 * </pre>
 */
public final class ArchLatency {
    private static final List<String> ARCHS = List.of("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large",
            "mobilenet_v3_small", "efficientnet_b0");
    private static final int SIZE = 224;
    private static final int WARMUP = 20;
    private static final int RUNS = 100;

    private ArchLatency() {
    }

    public static void main(String[] args) throws Exception {
        List<String> archs = args.length > 0 ? List.of(args) : ARCHS;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] x = new float[3 * SIZE * SIZE];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-20s %12s %10s %10s %10s%n", "arch",
                "params", "p50 ms", "p90 ms", "MB"));
        for (String arch : archs) {
            Network net = VisionModel.builder().setArch(arch).setClasses(10).optHead(HeadOptions.defaults()).build();
            ModelProto model = OnnxExporter.export(ExportOptions.builder().setNetwork(net)
                    .setWeights(Initializer.init(net, 0)).build());
            byte[] bytes = model.toByteArray();
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setOptimizationLevel(OptLevel.ALL_OPT);
                o.setIntraOpNumThreads(2);
                o.setInterOpNumThreads(1);
                try (OrtSession session = env.createSession(bytes, o);
                     OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 3, SIZE, SIZE})) {
                    Map<String, OnnxTensor> feed = Map.of(GraftMetadata.INPUT_NAME, input);
                    for (int i = 0; i < WARMUP; i++) {
                        session.run(feed).close();
                    }
                    double[] ms = new double[RUNS];
                    for (int i = 0; i < RUNS; i++) {
                        long t0 = System.nanoTime();
                        session.run(feed).close();
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(ms);
                    table.append(String.format(Locale.ROOT, "%-20s %,12d %10.2f %10.2f %10.1f%n", arch,
                            net.learnableCount(), ms[RUNS / 2], ms[RUNS * 9 / 10], bytes.length / 1e6));
                }
            }
        }
        System.out.print("ONNX Runtime CPU, batch 1, " + SIZE + "x" + SIZE + ", 2 threads, " + RUNS + " runs after "
                + WARMUP + " warm-up, " + Runtime.getRuntime().availableProcessors() + " processors visible\n" + table);
    }
}
