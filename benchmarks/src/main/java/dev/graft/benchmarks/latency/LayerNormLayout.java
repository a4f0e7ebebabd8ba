package dev.graft.benchmarks.latency;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The two ways the exporter can write a ConvNeXt layer norm over NCHW channels, timed against each other in ONNX
 * Runtime: opset 17's {@code Transpose, LayerNormalization, Transpose} and the written-out form of opsets 13 to 16
 * ({@code ReduceMean} over axis 1, {@code Sub}, {@code Mul}, {@code ReduceMean}, {@code Add} eps, {@code Sqrt},
 * {@code Div}, weight and bias). Nothing else differs between the two exports. Batch 1, all graph optimisations, a
 * fixed thread count, the two sessions alternating in rounds; prints each graph's node counts as ONNX Runtime
 * optimised it (how many Transposes it kept), the medians, and where the time goes by operator (ONNX Runtime's
 * profiler over {@value #PROFILED} further runs of each optimised graph).
 *
 * <pre>
 * java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.LayerNormLayout [threads] [size] [arch]
 * </pre>
 */
public final class LayerNormLayout {
    private static final int WARMUP = 10;
    private static final int ROUNDS = 6;
    private static final int RUNS_PER_ROUND = 15;
    private static final int PROFILED = 30;

    private LayerNormLayout() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 224;
        String arch = args.length > 2 ? args[2] : "convnext_tiny";
        Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
        ExportOptions options = ExportOptions.builder().setNetwork(net).setWeights(Initializer.init(net, 0))
                .optInputSize(size, size).build();
        int[] opsets = {17, 13};
        String[] names = {"opset 17: Transpose + LayerNormalization + Transpose", "opset 13: written out over axis 1"};
        OrtRunner[] runners = new OrtRunner[2];
        Path dir = Files.createTempDirectory("graft-layernorm");
        float[] x = new float[3 * size * size];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        long[] shape = {1, 3, size, size};
        double[][] ms = new double[2][ROUNDS * RUNS_PER_ROUND];
        try {
            for (int k = 0; k < 2; k++) {
                ModelProto model = OnnxExporter.export(options.toBuilder().optOpset(opsets[k]).build());
                Path optimised = dir.resolve("opset" + opsets[k] + ".onnx");
                runners[k] = OrtRunner.open(model.toByteArray(), OptLevel.ALL_OPT, threads, optimised);
                System.out.printf(Locale.ROOT, "%s%n  exported %s%n  as ONNX Runtime runs it %s%n", names[k],
                        OnnxExporter.opHistogram(model), OnnxFiles.opHistogram(OnnxFiles.read(optimised)));
                for (int i = 0; i < WARMUP; i++) {
                    runners[k].run(GraftMetadata.INPUT_NAME, x, shape, GraftMetadata.OUTPUT_NAME);
                }
            }
            for (int round = 0; round < ROUNDS; round++) {
                for (int k = 0; k < 2; k++) {
                    for (int i = 0; i < RUNS_PER_ROUND; i++) {
                        long t0 = System.nanoTime();
                        runners[k].run(GraftMetadata.INPUT_NAME, x, shape, GraftMetadata.OUTPUT_NAME);
                        ms[k][round * RUNS_PER_ROUND + i] = (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
            for (int k = 0; k < 2; k++) {
                Map<String, Double> byOp = profile(dir.resolve("opset" + opsets[k] + ".onnx"), threads, x, shape);
                System.out.printf(Locale.ROOT, "%s: kernel ms a run by operator (profiler, %d runs) %s, total %.1f%n",
                        names[k], PROFILED, byOp, byOp.values().stream().mapToDouble(Double::doubleValue).sum());
            }
        } finally {
            for (OrtRunner runner : runners) {
                if (runner != null) {
                    runner.close();
                }
            }
            for (int opset : opsets) {
                Files.deleteIfExists(dir.resolve("opset" + opset + ".onnx"));
            }
            Files.deleteIfExists(dir);
        }
        double[] median = new double[2];
        for (int k = 0; k < 2; k++) {
            Arrays.sort(ms[k]);
            median[k] = ms[k][ms[k].length / 2];
        }
        System.out.printf(Locale.ROOT, "%s at %d px, batch 1, %d threads, %d runs each in %d alternating rounds, %d"
                + " processors visible:%n  opset 17 median %.2f ms (p90 %.2f)%n  opset 13 median %.2f ms (p90 %.2f)%n"
                + "  opset 17 / opset 13: %.3f%n", arch, size, threads, ROUNDS * RUNS_PER_ROUND, ROUNDS,
                Runtime.getRuntime().availableProcessors(), median[0], ms[0][ms[0].length * 9 / 10], median[1],
                ms[1][ms[1].length * 9 / 10], median[0] / median[1]);
    }

    /** Kernel time per operator type, in ms a run, of an already optimised graph, largest first. */
    private static Map<String, Double> profile(Path optimised, int threads, float[] x, long[] shape) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path trace;
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OptLevel.NO_OPT); // the graph is ONNX Runtime's own optimised one already
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.enableProfiling(optimised.resolveSibling("profile").toString());
            try (OrtSession session = env.createSession(optimised.toString(), o);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
                for (int i = 0; i < PROFILED; i++) {
                    session.run(Map.of(GraftMetadata.INPUT_NAME, input)).close();
                }
                trace = Path.of(session.endProfiling());
            }
        }
        Map<String, Double> byOp = new LinkedHashMap<>();
        try {
            for (JsonNode e : new ObjectMapper().readTree(trace.toFile())) {
                if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time")) {
                    byOp.merge(e.path("args").path("op_name").asText(), e.path("dur").asDouble() / 1000 / PROFILED,
                            Double::sum);
                }
            }
        } finally {
            Files.deleteIfExists(trace);
        }
        Map<String, Double> sorted = new LinkedHashMap<>();
        byOp.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), Math.round(e.getValue() * 100) / 100.0));
        return sorted;
    }
}
