package dev.graft.cli;

import dev.graft.exporter.Activation;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.ExportProof;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.Precision;
import dev.graft.image.ResizeMethod;
import dev.graft.exporter.TrainedReference;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.quant.CalibrationMethod;
import dev.graft.exporter.quant.ImageFolder;
import dev.graft.exporter.quant.ImagePreprocessor;
import dev.graft.exporter.quant.PrecisionReport;
import dev.graft.exporter.quant.QuantProgress;
import dev.graft.interpret.InterpretException;
import dev.graft.interpret.TemperatureScaling;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightFiles;
import dev.graft.models.weights.WeightLoader;
import dev.graft.trainer.model.InferenceModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code graft export}: writes the ONNX graph and proves it against the trained model's own DJL forward before
 * anything is written.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Export a model to ONNX with its softmax/sigmoid folded in, proven against the trained model.",
        "The graph runs in ONNX Runtime on seeded random inputs beside the DJL model of the same weights in float64;",
        "beyond tolerances derived from the model's own float32-vs-float64 logit difference (or a wrong top class)",
        "the export fails and nothing is written (docs/export-proof.md).",
        "With --quantize int8 (calibrated on --calibration) or --precision fp16 the proven fp32 graph is converted and a",
        "report compares the two: size, latency and, with --eval, top-1 accuracy and agreement."})
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--checkpoint", paramLabel = "DIR", description = "A checkpoint folder written by graft train.")
        Path checkpoint;

        @Option(names = "--weights", paramLabel = "FILE", description = "Whole-model weights: safetensors or a PyTorch/fastai file (.pth, .pt, .bin, export.pkl), fastai state dict or Graft names; needs --arch and --classes.")
        Path weights;
    }

    @Mixin
    NetworkOptions model;

    @Option(names = "--labels", paramLabel = "FILE", description = "Class names, one per line, in output order (with --weights).")
    Path labels;

    @Option(names = "--multi-label", description = "The model is multi-label (sigmoid, threshold) (with --weights).")
    boolean multiLabel;

    @Option(names = "--regression", description = "The model predicts numbers (no activation) (with --weights).")
    boolean regression;

    @Option(names = "--size", description = "Input size the model was trained at: N or HxW (default: the checkpoint's, else 224).")
    String size;

    @Option(names = "--channels", description = "Input channel order, one letter each (default RGB; needed with --n-in other than 3, e.g. RGBA).")
    String channels;

    @Option(names = "--mean", split = ",", description = "Per-channel normalisation mean (default: ImageNet's).")
    List<Double> mean;

    @Option(names = "--std", split = ",", description = "Per-channel normalisation std (default: ImageNet's).")
    List<Double> std;

    @Option(names = "--activation", defaultValue = "auto", description = "auto, softmax, sigmoid or none (default: ${DEFAULT-VALUE}: by task).")
    String activation;

    @Option(names = "--opset", defaultValue = "17", description = "ONNX opset, 13 to 17 (default: ${DEFAULT-VALUE}).")
    int opset;

    @Option(names = "--with-logits", description = "Add a second output, logits, before the activation.")
    boolean withLogits;

    @Option(names = "--no-fold", description = "Keep the graph layer for layer (BatchNormalization, Dropout), for debugging.")
    boolean noFold;

    @Option(names = "--tolerance", paramLabel = "X", description = "Largest difference of probabilities from the trained model's float64 forward allowed, instead of the derived rule (logits within 8 x the model's own float32-vs-float64 logit difference, at least 1e-5 x the largest |logit|, at most 5e-2; probabilities within what that can move them, plus 1e-5).")
    Double tolerance;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .onnx file to write.")
    Path out;

    @Option(names = "--quantize", paramLabel = "int8", description = "Static int8 quantisation (QDQ: uint8 activations, int8 per-channel weights), calibrated on --calibration.")
    String quantize;

    @Option(names = "--precision", paramLabel = "fp32|fp16|int8", description = "Precision of the graph (default fp32); fp16 is for GPUs, int8 is --quantize int8.")
    String precision;

    @Option(names = "--calibration", paramLabel = "DIR", description = "Images to calibrate int8 on (searched recursively; the training images will do).")
    Path calibration;

    @Option(names = "--calibration-count", paramLabel = "N", description = "Calibration images to use, drawn at random with a fixed seed (default: 256).")
    Integer calibrationCount;

    @Option(names = "--calibration-method", paramLabel = "minmax|percentile|entropy", description = "How activation ranges are chosen (default: percentile).")
    String calibrationMethod;

    @Option(names = "--quantize-head", description = "Quantise the head's Linear layers too (by default they stay fp32).")
    boolean quantizeHead;

    @Option(names = "--calibrate", paramLabel = "DIR", description = "Labelled images (DIR/<label>/*, not the training"
        + " images) to fit a temperature T on: the softmax then reads logits / T, so the probabilities match how often"
        + " the model is right; predictions do not change. Single-label models only.")
    Path calibrate;

    @Option(names = "--eval", paramLabel = "DIR", description = "Labelled images (DIR/<label>/*) to report top-1 accuracy of fp32 and the lower precision, and their agreement.")
    Path eval;

    @Option(names = "--max-image-bytes", defaultValue = "64MB", paramLabel = "SIZE", description = CliOptions.MAX_IMAGE_BYTES_HELP
        + " For --calibration and --eval images.")
    String maxImageBytes;

    @Option(names = "--report-threads", defaultValue = "2", paramLabel = "N", description = "ONNX Runtime threads for the latency report of an fp16/int8 export (default: ${DEFAULT-VALUE}).")
    int reportThreads;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        long start = System.nanoTime();
        Network network;
        Map<String, Tensor> weights;
        Task task;
        List<String> labelList = null;
        String sourceHash;
        FastaiExportInfo fastaiExport = FastaiExportInfo.NONE;
        int[] hw = size == null ? null : CliOptions.parseSize(size);
        ExportOptions.Builder b = ExportOptions.builder();
        if (source.checkpoint != null) {
            if (model.arch != null || labels != null || multiLabel || regression) {
                throw new GraftException("--checkpoint carries its architecture, labels and task; drop --arch, --labels, --multi-label and --regression");
            }
            Checkpoint c = Checkpoint.read(source.checkpoint);
            network = c.network();
            weights = c.weights();
            task = c.task();
            labelList = c.labels();
            sourceHash = Checkpoint.weightsHash(source.checkpoint);
            if (hw == null) {
                hw = new int[] {c.preprocessing().height(), c.preprocessing().width()};
            }
            b.optMean(c.preprocessing().mean()).optStd(c.preprocessing().std())
                .optResize(ResizeMethod.valueOf(c.preprocessing().resize().toUpperCase(Locale.ROOT)))
                .optThreshold(c.threshold());
        } else {
            if (multiLabel && regression) {
                throw new GraftException("--multi-label and --regression contradict each other");
            }
            network = model.build();
            sourceHash = Checkpoint.sha256(source.weights);
            try (TensorFile file = WeightFiles.open(source.weights)) {
                Map<String, Tensor> copied = new LinkedHashMap<>();
                WeightLoader.load(network, file.all(), LoadMode.ALL).tensors()
                    .forEach((k, v) -> copied.put(k, Tensor.ofFloats(v.shape(), v.toFloatArray())));
                weights = copied;
                fastaiExport = FastaiExportInfo.of(file.metadata(), source.weights);
            }
            task = multiLabel ? Task.MULTI_LABEL
                : regression ? Task.REGRESSION : Task.SINGLE_LABEL;
            if (labels != null) {
                labelList = readLabels(labels);
            } else if (fastaiExport.vocab() != null) {
                labelList = fastaiExport.vocab();
                o.println("labels: " + labelList.size() + " classes from " + source.weights + " (fastai's dls.vocab)");
            }
            if (mean == null && std == null && fastaiExport.mean() != null && fastaiExport.std() != null) {
                mean = fastaiExport.mean();
                std = fastaiExport.std();
                o.println("normalisation: mean " + mean + ", std " + std + " from " + source.weights
                    + " (fastai's Normalize)");
            }
            if (network.inputChannels() != 3 && (channels == null || mean == null || std == null)) {
                throw new GraftException("a " + network.inputChannels() + "-channel model needs --channels (e.g. RGBA), --mean"
                    + " and --std with one value per channel");
            }
        }
        if (channels != null) {
            b.optChannels(channels);
        }
        if (mean != null) {
            b.optMean(mean);
        }
        if (std != null) {
            b.optStd(std);
        }
        if (hw == null) {
            hw = new int[] {224, 224};
        }
        b.setNetwork(network).setWeights(weights)
            .optTask(task)
            .optActivation(parseActivation(activation))
            .optOpset(opset)
            .optWithLogits(withLogits)
            .optFold(!noFold)
            .optInputSize(hw[0], hw[1])
            .optSourceHash(sourceHash);
        if (labelList != null) {
            b.optLabels(labelList);
        }
        Precision target = precision();
        b.optPrecision(target).optQuantizeHead(quantizeHead)
            .optMaxImageBytes(CliOptions.parseBytes("--max-image-bytes", maxImageBytes));
        if (calibration != null) {
            b.optCalibrationImages(calibration);
        }
        if (calibrationCount != null) {
            b.optCalibrationCount(calibrationCount);
        }
        if (calibrationMethod != null) {
            b.optCalibrationMethod(CalibrationMethod.parse(calibrationMethod));
        }
        if (eval != null && target == Precision.FP32) {
            throw new GraftException("--eval compares an fp16 or int8 export with its fp32 original; add --quantize int8"
                + " or --precision fp16");
        }
        if (reportThreads < 1) {
            throw new GraftException("--report-threads must be at least 1, not " + reportThreads);
        }
        OnnxFiles.checkTarget(out, inputs());
        ExportOptions options = b.build();
        ImagePreprocessor pre = target == Precision.FP32 ? null : options.imagePreprocessor();
        List<ImageFolder.Labelled> evalImages = eval == null ? List.of() : ImageFolder.labelled(eval, options.labels());
        if (eval != null && task != Task.SINGLE_LABEL) {
            throw new GraftException("--eval reports top-1 accuracy, which needs a single-label model; this one is "
                + task.id());
        }
        if (tolerance != null && !(tolerance >= 0 && Double.isFinite(tolerance))) {
            throw new GraftException("--tolerance must be zero or positive and finite, not " + tolerance);
        }
        List<ImageFolder.Labelled> calibrationImages = calibrate == null ? List.of() : calibrationImages(options);
        ModelProto fp32;
        ExportProof.Result r;
        TemperatureScaling.Fit fit = null;
        try (InferenceModel trained = InferenceModel.load(network, weights, hw[0], hw[1]);
             InferenceModel exact = InferenceModel.loadFloat64(network, weights, hw[0], hw[1])) {
            if (calibrate != null) {
                fit = fitTemperature(options, calibrationImages, trained);
                options = b.optTemperature(fit.temperature()).build();
                o.printf(Locale.ROOT, "calibration: T = %.4f on %d images from %s (NLL %.4f -> %.4f, ECE %.4f -> %.4f)%n",
                    fit.temperature(), fit.images(), calibrate, fit.nllBefore(), fit.nllAfter(), fit.eceBefore(),
                    fit.eceAfter());
                if (fit.clamped()) {
                    o.println("calibration: note: " + fit.note());
                }
            }
            fp32 = OnnxExporter.exportFp32(options);
            r = ExportProof.verify(fp32, TrainedReference.of(trained::forward, exact::forwardFloat64),
                ExportProof.DEFAULT_SEED, ExportProof.DEFAULT_BATCH, hw[0], hw[1],
                tolerance == null ? OptionalDouble.empty() : OptionalDouble.of(tolerance));
        }
        if (!r.passed()) {
            throw new GraftException(r.refusal(out));
        }
        if (fit != null) {
            fp32 = withCalibration(fp32, fit);
        }
        ModelProto written = fp32;
        PrecisionReport report = null;
        try (Progress progress = new Progress()) {
            if (target != Precision.FP32) {
                written = OnnxExporter.lowerPrecision(fp32, options, progress);
                report = PrecisionReport.measure(fp32, written, reportThreads, PrecisionReport.DEFAULT_BATCHES,
                    evalImages, pre, String.valueOf(eval), progress);
            }
        }
        OnnxFiles.writeAtomically(written, out, inputs());
        double secs = (System.nanoTime() - start) / 1e9;
        o.printf(Locale.ROOT, "graph: %d nodes (%s)%n", r.nodeCount(), histogram(r.opHistogram()));
        o.printf(Locale.ROOT, "parity: largest |difference| from the trained DJL model %.3g (its float64 forward; its"
            + " own float32 forward is %.3g from that); %s %.3g (own float32 %.3g)%n", r.maxAbsDiff(),
            r.float32Error(), r.logitMeasure() + ":", r.logitDiff(), r.float32LogitError());
        o.println(r.explanation());
        if (report != null) {
            if (target == Precision.INT8) {
                o.printf(Locale.ROOT, "int8: %s%n", OnnxExporter.metadata(written).get(GraftMetadata.QUANTIZATION));
            }
            o.printf(Locale.ROOT, "%s graph: %d nodes (%s)%n", target.metadataValue(), written.getGraph().getNodeCount(),
                histogram(OnnxExporter.opHistogram(written)));
            report.lines().forEach(o::println);
        }
        o.printf(Locale.ROOT, "wrote %s (%.1f MB, %s, opset %d, %s) in %.1f s%n", out, Files.size(out) / 1e6,
            target.metadataValue(), opset, options.resolvedActivation().metadataValue(), secs);
        return 0;
    }

    /** The labelled calibration images, refused in one line for a model a temperature cannot serve. */
    private List<ImageFolder.Labelled> calibrationImages(ExportOptions options) {
        if (options.task() != Task.SINGLE_LABEL) {
            throw new GraftException("--calibrate fits a softmax temperature, which needs a single-label model; this one"
                + " is " + options.task().id());
        }
        if (options.resolvedActivation() != Activation.SOFTMAX) {
            throw new GraftException("--calibrate folds a temperature into the softmax; drop --activation "
                + options.resolvedActivation().metadataValue());
        }
        try {
            return ImageFolder.labelled(calibrate, options.labels());
        } catch (GraftException e) {
            throw new GraftException("--calibrate: " + e.getMessage().replace("evaluation folder", "folder"), e);
        }
    }

    /** The trained model's logits on the calibration images, and the temperature that minimises their NLL. */
    private TemperatureScaling.Fit fitTemperature(ExportOptions options, List<ImageFolder.Labelled> images,
                                                  InferenceModel trained) {
        ImagePreprocessor pre = options.imagePreprocessor();
        int per = pre.floatsPerImage();
        int batch = 16;
        float[][] logits = new float[images.size()][];
        int[] labels = new int[images.size()];
        try (Progress progress = new Progress()) {
            for (int start = 0; start < images.size(); start += batch) {
                int n = Math.min(batch, images.size() - start);
                float[] x = new float[n * per];
                for (int i = 0; i < n; i++) {
                    pre.read(images.get(start + i).file(), x, i * per);
                    labels[start + i] = images.get(start + i).label();
                }
                float[] y = trained.forward(x, n, pre.channels(), pre.height(), pre.width());
                int classes = y.length / n;
                for (int i = 0; i < n; i++) {
                    logits[start + i] = java.util.Arrays.copyOfRange(y, i * classes, (i + 1) * classes);
                }
                progress.update("temperature", start + n, images.size());
            }
        }
        try {
            return TemperatureScaling.fit(logits, labels);
        } catch (InterpretException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    /** The fitted model with the before/after calibration error recorded beside graft.temperature. */
    private static ModelProto withCalibration(ModelProto model, TemperatureScaling.Fit fit) {
        ModelProto.Builder m = model.toBuilder();
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put(GraftMetadata.ECE_BEFORE, Double.toString(fit.eceBefore()));
        extra.put(GraftMetadata.ECE_AFTER, Double.toString(fit.eceAfter()));
        extra.put(GraftMetadata.CALIBRATION_IMAGES, Integer.toString(fit.images()));
        extra.forEach((k, v) -> m.addMetadataProps(
            dev.graft.exporter.onnx.proto.OnnxProto.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }

    /** The files this export reads: --out naming any of them (by any path or link) is refused. */
    private Path[] inputs() {
        List<Path> in = new java.util.ArrayList<>(java.util.Arrays.asList(source.weights, labels));
        if (source.checkpoint != null) {
            in.addAll(RunFolder.files(source.checkpoint));
        }
        return in.toArray(Path[]::new);
    }

    private Precision precision() {
        Precision fromQuantize = null;
        if (quantize != null) {
            if (!quantize.equalsIgnoreCase("int8")) {
                throw new GraftException("--quantize takes int8, not '" + quantize + "'");
            }
            fromQuantize = Precision.INT8;
        }
        Precision fromPrecision = precision == null ? null : Precision.parse(precision);
        if (fromQuantize != null && fromPrecision != null && fromPrecision != fromQuantize) {
            throw new GraftException("--quantize int8 and --precision " + precision + " contradict each other");
        }
        Precision p = fromQuantize != null ? fromQuantize : fromPrecision != null ? fromPrecision : Precision.FP32;
        if (p != Precision.INT8 && (calibration != null || calibrationCount != null || calibrationMethod != null
            || quantizeHead)) {
            throw new GraftException("--calibration, --calibration-count, --calibration-method and --quantize-head"
                + " need --quantize int8");
        }
        if (p == Precision.INT8 && calibration == null) {
            throw new GraftException("--quantize int8 needs --calibration DIR: images like those the model will see"
                + " (the training images will do)");
        }
        return p;
    }

    /** Progress of calibration, timing and evaluation on the terminal, one bar per stage. */
    private static final class Progress implements QuantProgress, AutoCloseable {
        private ProgressBar bar;
        private String stage;

        @Override
        public void update(String stage, int done, int total) {
            if (!stage.equals(this.stage)) {
                close();
                this.stage = stage;
                bar = new ProgressBarBuilder().setTaskName(stage).setInitialMax(total)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250).build();
            }
            bar.stepTo(done);
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
            stage = null;
        }
    }

    private static String histogram(Map<String, Integer> h) {
        StringBuilder sb = new StringBuilder();
        h.forEach((op, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(op).append(' ').append(n));
        return sb.toString();
    }

    private static Activation parseActivation(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "auto" -> Activation.AUTO;
            case "softmax" -> Activation.SOFTMAX;
            case "sigmoid" -> Activation.SIGMOID;
            case "none" -> Activation.NONE;
            default -> throw new GraftException("--activation takes auto, softmax, sigmoid or none, not '" + text + "'");
        };
    }

    private static List<String> readLabels(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new GraftException("cannot read labels " + file + ": " + e.getMessage());
        }
    }
}
