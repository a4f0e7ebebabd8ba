package dev.graft.benchmarks.latency;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.quant.CalibrationData;
import dev.graft.exporter.quant.ImagePreprocessor;
import dev.graft.exporter.quant.PrecisionReport;
import dev.graft.exporter.quant.QuantProgress;
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
 * fp32 against int8 (and, with {@code -Dgraft.bench.fp16=true}, fp16) in ONNX Runtime: each architecture with fastai's
 * default head at {@code size} x {@code size}, a fixed thread count, batch 1 and 8, same process, alternating runs,
 * printed as {@code graft export --quantize int8} prints its report. Weights are PyTorch-style random initialisation
 * with BatchNorm statistics that are not the identity, and calibration runs on 32 seeded noise images: latency and
 * size do not depend on what the weights have learnt. With {@code -Dgraft.bench.out=DIR} both files are kept there.
 *
 * <pre>
 * java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.QuantSpeed [threads] [size] [arch...]
 * </pre>
 */
public final class QuantSpeed {
    private static final int CALIBRATION_IMAGES = 32;

    private QuantSpeed() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 224;
        List<String> archs = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("resnet18", "resnet50");
        String keep = System.getProperty("graft.bench.out");
        Path out = keep == null ? null : Path.of(keep);
        for (String arch : archs) {
            Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
            Map<String, Tensor> weights = weights(net, 1);
            ExportOptions options = ExportOptions.builder().setNetwork(net).setWeights(weights).optInputSize(size, size)
                    .optPrecision(Precision.INT8).optCalibrationData(noise(3, CALIBRATION_IMAGES, size)).build();
            long t0 = System.nanoTime();
            ModelProto fp32 = OnnxExporter.exportFp32(options);
            ModelProto int8 = OnnxExporter.lowerPrecision(fp32, options, QuantProgress.NONE);
            System.out.printf("%s: exported and calibrated in %.1f s%n", arch, (System.nanoTime() - t0) / 1e9);
            if (out != null && Files.isDirectory(out)) {
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

    /** {@code n} images of seeded standard-normal noise, already in model space (3 channels). */
    public static CalibrationData noise(long seed, int n, int size) {
        int per = 3 * size * size;
        Random r = new Random(seed);
        float[] data = new float[n * per];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return new CalibrationData() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public int channels() {
                return 3;
            }

            @Override
            public int height() {
                return size;
            }

            @Override
            public int width() {
                return size;
            }

            @Override
            public void read(int index, float[] dst, int offset) {
                System.arraycopy(data, index * per, dst, offset, per);
            }

            @Override
            public String describe() {
                return n + " noise images";
            }
        };
    }
}
