package dev.graft.exporter.quant;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * fp32 against int8 (and fp16) in ONNX Runtime for the closing note: resnet18 and resnet50 with fastai's
 * default head at 224 x 224, a fixed thread count, batch 1 and 8, same process, alternating runs.
 *
 * <p>Not a test (surefire does not pick up {@code *Benchmark}): speed is measured, never asserted. Run it with the
 * exporter's test class path, for example
 * {@code java -cp "$(cat cp.txt)" dev.graft.exporter.quant.QuantSpeedBenchmark [threads] [size] [arch...]}. Weights are
 * PyTorch-style random initialisation with BatchNorm statistics that are not the identity, and calibration runs on 32
 * seeded noise images: latency and size do not depend on what the weights have learnt.
 */
public final class QuantSpeedBenchmark {
    private QuantSpeedBenchmark() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 224;
        List<String> archs = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("resnet18", "resnet50");
        Path out = Path.of(System.getProperty("graft.bench.out", System.getProperty("java.io.tmpdir")));
        for (String arch : archs) {
            Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
            Map<String, Tensor> weights = weights(net, 1);
            float[] noise = QuantFixtures.gaussian(3, 32 * 3 * size * size);
            ExportOptions options = ExportOptions.builder().setNetwork(net).setWeights(weights).optInputSize(size, size)
                    .optPrecision(Precision.INT8).optCalibrationData(QuantFixtures.arrays(noise, 32, 3, size)).build();
            long t0 = System.nanoTime();
            ModelProto fp32 = OnnxExporter.exportFp32(options);
            ModelProto int8 = OnnxExporter.lowerPrecision(fp32, options, QuantProgress.NONE);
            System.out.printf("%s: exported and calibrated in %.1f s%n", arch, (System.nanoTime() - t0) / 1e9);
            if (Files.isDirectory(out)) {
                OnnxFiles.writeAtomically(fp32, out.resolve(arch + "-fp32.onnx"));
                OnnxFiles.writeAtomically(int8, out.resolve(arch + "-int8.onnx"));
            }
            ImagePreprocessor pre = options.imagePreprocessor();
            PrecisionReport r = PrecisionReport.measure(fp32, int8, threads, PrecisionReport.DEFAULT_BATCHES, List.of(),
                    pre, "", QuantProgress.NONE);
            r.lines().forEach(l -> System.out.println(arch + " " + size + " int8 " + l));
            if (Boolean.getBoolean("graft.bench.fp16")) {
                ModelProto fp16 = OnnxExporter.lowerPrecision(fp32,
                        options.toBuilder().optPrecision(Precision.FP16).optCalibrationData(null).build(), QuantProgress.NONE);
                PrecisionReport.measure(fp32, fp16, threads, PrecisionReport.DEFAULT_BATCHES, List.of(), pre, "",
                        QuantProgress.NONE).lines().forEach(l -> System.out.println(arch + " " + size + " fp16 " + l));
            }
        }
    }

    /** Initializer weights with BatchNorm gamma, beta, mean and variance drawn away from 1, 0, 0, 1. */
    static Map<String, Tensor> weights(Network net, long seed) {
        Map<String, Tensor> w = new LinkedHashMap<>(Initializer.init(net, seed));
        Random r = new Random(seed);
        for (Node n : net.nodes()) {
            if (n.layer() instanceof Layer.BatchNorm bn) {
                int c = bn.features();
                w.put(n.id() + ".weight", vector(c, r, 0.5, 1.5));
                w.put(n.id() + ".bias", vector(c, r, -0.2, 0.2));
                w.put(n.id() + ".running_mean", vector(c, r, -0.3, 0.3));
                w.put(n.id() + ".running_var", vector(c, r, 0.3, 2.0));
            }
        }
        return w;
    }

    private static Tensor vector(int c, Random r, double low, double high) {
        float[] v = new float[c];
        for (int i = 0; i < c; i++) {
            v[i] = (float) (low + r.nextDouble() * (high - low));
        }
        return Tensor.ofFloats(new long[] {c}, v);
    }
}
