package dev.graft.benchmarks.proof;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.InferenceModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Where an export's distance from the float64 forward comes from: for one architecture with the trained-like weights
 * {@link ExportProofBench} uses, the export (folded and unfolded) under every ONNX Runtime optimisation level and with
 * one and two intra-op threads, against the trained model's float64 forward, next to the model's own float32 forward,
 * at the logits and at the probabilities, on the proof's first two seeded images and on a larger seeded batch.
 *
 * <p>A benchmark, not a test: it prints and judges nothing. Arguments: image size (default 224), architecture (default
 * densenet121), images (default 8), seed (default 0), and optionally a folder into which it writes the weights
 * ({@code weights.safetensors}) and the inputs with ONNX Runtime's and DJL's float32 logits ({@code inputs.safetensors})
 * for {@code benchmarks/scripts/torch-oracle.py}, which runs the same network in PyTorch in float32 and float64.
 */
public final class ExportErrorProbe {
    private ExportErrorProbe() {
    }

    public static void main(String[] args) throws IOException {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 224;
        String arch = args.length > 1 ? args[1] : "densenet121";
        int images = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 0;
        PrintStream out = System.out;
        Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
        Map<String, Tensor> weights = arch.startsWith("resnet") ? TrainedLikeWeights.of(net, seed)
                : TrainedLikeWeights.of(net, seed, ExportProofBench.MOBILE_CALIBRATION_BATCH, size);
        int channels = 3;
        float[] x = new float[images * channels * size * size];
        Random random = new Random(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        double[] exact;
        float[] rounded;
        try (InferenceModel f64 = InferenceModel.loadFloat64(net, weights, size, size)) {
            exact = f64.forwardFloat64(x.clone(), images, channels, size, size);
        }
        try (InferenceModel f32 = InferenceModel.load(net, weights, size, size)) {
            rounded = f32.forward(x.clone(), images, channels, size, size);
        }
        int classes = exact.length / images;
        double[] exactP = softmax(exact, images, classes);
        out.printf(Locale.ROOT, "%s %d px, seed %d, %d images; errors against the float64 forward, max |.| over the"
                + " first 2 images (the proof's batch) / over all %d%n", arch, size, seed, images, images);
        out.printf(Locale.ROOT, "%-34s %11s %11s %11s %11s %11s%n", "forward", "prob(2)", "prob(all)", "logit(2)",
                "logit(all)", "probF32(2)");
        row(out, "DJL float32 (own)", widen(rounded), null, exact, exactP, images, classes);
        float[] deployed = null;
        for (boolean fold : new boolean[] {true, false}) {
            ModelProto model = OnnxExporter.exportFp32(ExportOptions.builder().setNetwork(net).setWeights(weights)
                    .optInputSize(size, size).optFold(fold).optWithLogits(true).build());
            byte[] bytes = model.toByteArray();
            for (OptLevel level : new OptLevel[] {OptLevel.ALL_OPT, OptLevel.EXTENDED_OPT, OptLevel.BASIC_OPT,
                    OptLevel.NO_OPT}) {
                for (int threads : new int[] {1, 2}) {
                    try (OrtRunner ort = OrtRunner.open(bytes, level, threads)) {
                        Map<String, FloatTensor> o = ort.runAll(GraftMetadata.INPUT_NAME, x,
                                new long[] {images, channels, size, size});
                        float[] logits = o.get(GraftMetadata.LOGITS_NAME).data();
                        float[] probs = o.get(GraftMetadata.OUTPUT_NAME).data();
                        if (fold && level == OptLevel.ALL_OPT) {
                            deployed = logits;
                        }
                        row(out, String.format(Locale.ROOT, "ORT %s %s %d thr", fold ? "fold" : "nofold",
                                level.name(), threads), widen(logits), widen(probs), exact, exactP, images, classes);
                    }
                }
            }
        }
        out.printf(Locale.ROOT, "per image: max |probability error|, max |logit error|, max |logit error - its mean"
                + " over the classes| (the part softmax sees)%n");
        out.printf(Locale.ROOT, "%5s %11s %11s %11s   %11s %11s %11s%n", "image", "own prob", "own logit",
                "own centred", "ORT prob", "ORT logit", "ORT centred");
        double[] ownP = softmax(widen(rounded), images, classes);
        double[] ortP = softmax(widen(deployed), images, classes);
        for (int b = 0; b < images; b++) {
            int from = b * classes;
            out.printf(Locale.ROOT, "%5d %11.3g %11.3g %11.3g   %11.3g %11.3g %11.3g%n", b,
                    max(ownP, exactP, from, classes), max(widen(rounded), exact, from, classes),
                    centred(widen(rounded), exact, from, classes), max(ortP, exactP, from, classes),
                    max(widen(deployed), exact, from, classes), centred(widen(deployed), exact, from, classes));
        }
        if (args.length > 4) {
            Path dir = Files.createDirectories(Path.of(args[4]));
            SafeTensors.write(dir.resolve("weights.safetensors"), weights, Map.of());
            SafeTensors.write(dir.resolve("inputs.safetensors"), Map.of(
                    "x", Tensor.ofFloats(new long[] {images, channels, size, size}, x),
                    "ort", Tensor.ofFloats(new long[] {images, classes}, deployed),
                    "djl", Tensor.ofFloats(new long[] {images, classes}, rounded)), Map.of());
            out.printf(Locale.ROOT, "wrote %s%n", dir);
        }
        out.printf(Locale.ROOT, "float64 logits of image 0: %s%n", java.util.Arrays.toString(
                java.util.Arrays.copyOf(exact, classes)));
        out.printf(Locale.ROOT, "float64 probabilities of image 0: %s%n", java.util.Arrays.toString(
                java.util.Arrays.copyOf(exactP, classes)));
    }

    private static void row(PrintStream out, String name, double[] logits, double[] probsF32, double[] exact,
                            double[] exactP, int images, int classes) {
        double[] p = softmax(logits, images, classes);
        int two = Math.min(2, images) * classes;
        out.printf(Locale.ROOT, "%-34s %11.3g %11.3g %11.3g %11.3g %11s%n", name, max(p, exactP, two),
                max(p, exactP, p.length), max(logits, exact, two), max(logits, exact, logits.length),
                probsF32 == null ? "-" : String.format(Locale.ROOT, "%.3g", max(probsF32, exactP, two)));
    }

    private static double max(double[] a, double[] b, int from, int n) {
        double m = 0;
        for (int i = from; i < from + n; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** The largest logit error once the error common to every class of the image, which softmax ignores, is removed. */
    private static double centred(double[] a, double[] b, int from, int n) {
        double mean = 0;
        for (int i = from; i < from + n; i++) {
            mean += (a[i] - b[i]) / n;
        }
        double m = 0;
        for (int i = from; i < from + n; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i] - mean));
        }
        return m;
    }

    private static double max(double[] a, double[] b, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static double[] softmax(double[] logits, int images, int classes) {
        double[] p = new double[logits.length];
        for (int b = 0; b < images; b++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                max = Math.max(max, logits[b * classes + k]);
            }
            double sum = 0;
            for (int k = 0; k < classes; k++) {
                p[b * classes + k] = Math.exp(logits[b * classes + k] - max);
                sum += p[b * classes + k];
            }
            for (int k = 0; k < classes; k++) {
                p[b * classes + k] /= sum;
            }
        }
        return p;
    }
}
