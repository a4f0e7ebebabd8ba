package dev.graft.benchmarks.proof;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.ExportProof;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.TrainedReference;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.Architectures;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.InferenceModel;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The export proof at default settings on every supported architecture with {@link TrainedLikeWeights trained-like
 * weights} and a fastai head of 10 classes: per architecture, how far ONNX Runtime's logits (centred per image) and
 * probabilities are from the trained model's float64 forward, how far the model's own float32 forward is from it (its
 * logit error is the figure the tolerances are derived from), their ratios, the tolerances, the verdict and the time the proof took (translation, both DJL forwards
 * and ONNX Runtime). ResNets' weights are calibrated at {@link TrainedLikeWeights}'s 64 px, the mobile bodies' at the
 * proof size with {@value #MOBILE_CALIBRATION_BATCH} images (see {@link TrainedLikeWeights#of(Network, long, int, int)}).
 *
 * <p>A benchmark, not a test: it prints and judges nothing; the verdict column is the proof's own. Arguments: the
 * image size (default 224), the number of seeds per architecture (default 1; each seed draws other weights and other
 * inputs), then architectures (default: all). On 2 cores all nine at 224 px take several minutes.
 */
public final class ExportProofBench {
    /** Calibration images for a mobile body, calibrated at the proof size (cheap bodies, larger images). */
    public static final int MOBILE_CALIBRATION_BATCH = 8;

    private ExportProofBench() {
    }

    /** One architecture and seed; errors are against the float64 forward, logits centred per image. */
    public record Row(String arch, long seed, double onnxError, double float32Error, double onnxLogitError,
                      double float32LogitError, double logitTolerance, double tolerance, boolean passed,
                      int argmaxChecked, double seconds) {
        /** How many times the model's own float32 logit error the export's logit error is: what the rule judges. */
        public double ratio() {
            return onnxLogitError / float32LogitError;
        }

        /** The same ratio in probabilities, which the rule no longer uses as its yardstick. */
        public double probabilityRatio() {
            return onnxError / float32Error;
        }
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : ExportOptions.DEFAULT_SIZE;
        int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        List<String> archs = args.length > 2 ? List.of(args).subList(2, args.length) : Architectures.names();
        PrintStream out = System.out;
        out.printf(Locale.ROOT, "export proof, default settings: %d px, batch %d, 10 classes, trained-like BatchNorm"
                + " statistics; logits (centred) within min(%.0f x own, %.0e), at least %.0e x max(1, largest |logit|);"
                + " probabilities within %.0e + half that%n", size, ExportProof.DEFAULT_BATCH,
                ExportProof.SENSITIVITY_FACTOR, ExportProof.LOGIT_CEILING, ExportProof.LOGIT_FLOOR,
                ExportProof.TOLERANCE_FLOOR);
        out.printf(Locale.ROOT, "%-20s %4s %11s %11s %6s %11s | %11s %11s %6s %11s | %7s %6s %8s%n", "arch", "seed",
                "logit onnx", "logit own", "ratio", "tolerance", "prob onnx", "prob own", "ratio", "tolerance",
                "verdict", "top-1", "time s");
        List<Row> rows = new ArrayList<>();
        for (String arch : archs) {
            for (long seed = 0; seed < seeds; seed++) {
                Row r = run(arch, size, seed);
                rows.add(r);
                out.printf(Locale.ROOT, "%-20s %4d %11.3g %11.3g %6.2f %11.3g | %11.3g %11.3g %6.2f %11.3g | %7s"
                        + " %3d/%-2d %8.1f%n", r.arch(), r.seed(), r.onnxLogitError(), r.float32LogitError(),
                        r.ratio(), r.logitTolerance(), r.onnxError(), r.float32Error(), r.probabilityRatio(),
                        r.tolerance(), r.passed() ? "pass" : "REFUSE", r.argmaxChecked(), ExportProof.DEFAULT_BATCH,
                        r.seconds());
                out.flush();
            }
        }
        double worst = rows.stream().mapToDouble(Row::ratio).max().orElse(Double.NaN);
        long refused = rows.stream().filter(r -> !r.passed()).count();
        out.printf(Locale.ROOT, "largest ratio at the logits, |onnx-fp64| / own fp32-fp64: %.2f (factor %.0f);"
                + " refused %d of %d%n", worst, ExportProof.SENSITIVITY_FACTOR, refused, rows.size());
    }

    /** Proves one architecture's default export, timing everything the proof does. */
    public static Row run(String arch, int size, long seed) {
        Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
        Map<String, Tensor> weights = arch.startsWith("resnet") ? TrainedLikeWeights.of(net, seed)
                : TrainedLikeWeights.of(net, seed, MOBILE_CALIBRATION_BATCH, size);
        long start = System.nanoTime();
        ExportOptions options = ExportOptions.builder().setNetwork(net).setWeights(weights).optInputSize(size, size)
                .build();
        ModelProto model = OnnxExporter.exportFp32(options);
        ExportProof.Result r;
        try (InferenceModel f32 = InferenceModel.load(net, weights, size, size);
             InferenceModel f64 = InferenceModel.loadFloat64(net, weights, size, size)) {
            r = ExportProof.verify(model, TrainedReference.of(f32::forward, f64::forwardFloat64), seed,
                    ExportProof.DEFAULT_BATCH, size, size, OptionalDouble.empty());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Row(arch, seed, r.maxAbsDiff(), r.float32Error(), r.logitDiff(), r.float32LogitError(),
                r.logitTolerance(), r.tolerance(), r.passed(), r.argmaxChecked(), seconds);
    }
}
