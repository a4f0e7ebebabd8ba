package dev.graft.exporter.quant;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.files.TemporaryFile;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * What a lower-precision export costs and buys, measured against its float32 original in the same process: file size,
 * latency in ONNX Runtime and, on a labelled folder, top-1 accuracy of both and how often they agree.
 *
 * <p>A quantised model is only worth deploying if it is faster and still right, and neither can be assumed: the
 * speed-up depends on the CPU's integer instructions and on the runtime fusing every QDQ pair, the accuracy on the model
 * and its calibration. So every such export measures both and prints them, and the figures come from one run with both
 * sessions loaded, timed alternately, so that a busy machine slows both alike.
 *
 * <p>Latency uses ONNX Runtime's CPU provider at optimisation level "all" (what the integer kernels need) with a fixed
 * thread count, on seeded N(0, 1) inputs at the model's training size; the figure is the median over the timed runs.
 */
public final class PrecisionReport {
    /** The thread count of the latency figures unless another is given: small devices have a few cores. */
    public static final int DEFAULT_THREADS = 2;
    /** The batch sizes timed unless others are given. */
    public static final List<Integer> DEFAULT_BATCHES = List.of(1, 8);
    private static final int WARMUP_RUNS = 3;
    private static final int MIN_RUNS = 5;
    private static final int MAX_RUNS = 50;
    private static final long BUDGET_NANOS = 2_000_000_000L;
    private static final int EVAL_BATCH = 8;

    /** Median milliseconds per run of both models at one batch size. */
    public record Latency(int batch, int runs, double fp32Millis, double lowerMillis) {
        /** How many times faster the lower-precision model is. */
        public double speedup() {
            return fp32Millis / lowerMillis;
        }
    }

    /** Top-1 accuracy of both models on a labelled folder, and the fraction of images on which they agree. */
    public record Accuracy(String source, int images, int fp32Correct, int lowerCorrect, int agreed) {
        public double fp32Top1() {
            return (double) fp32Correct / images;
        }

        public double lowerTop1() {
            return (double) lowerCorrect / images;
        }

        public double agreement() {
            return (double) agreed / images;
        }
    }

    /**
     * How many of the float32 graph's convolutions ONNX Runtime runs as integer kernels once it has optimised the int8
     * graph, and which integer kernels it uses: the speed-up exists only where QDQ pairs were fused.
     */
    public record IntegerKernels(int convolutions, int integerConvolutions, Map<String, Integer> kernels) {
    }

    private final Precision precision;
    private final IntegerKernels integerKernels;
    private final long fp32Bytes;
    private final long lowerBytes;
    private final int threads;
    private final List<Latency> latencies;
    private final Accuracy accuracy;

    private PrecisionReport(Precision precision, IntegerKernels integerKernels, long fp32Bytes, long lowerBytes,
                            int threads, List<Latency> latencies, Accuracy accuracy) {
        this.precision = precision;
        this.integerKernels = integerKernels;
        this.fp32Bytes = fp32Bytes;
        this.lowerBytes = lowerBytes;
        this.threads = threads;
        this.latencies = List.copyOf(latencies);
        this.accuracy = accuracy;
    }

    /**
     * Measures {@code lower} against {@code fp32}.
     *
     * @param threads intra-op threads for both sessions
     * @param batches the batch sizes to time; empty to skip timing
     * @param eval labelled images, from {@link ImageFolder#labelled}; empty to skip accuracy
     * @param pre how to read the labelled images (the model's preprocessing)
     * @param evalSource a description of where the labelled images came from, for the report
     * @throws GraftException if a model cannot run, or accuracy is asked of a model that is not single-label
     */
    public static PrecisionReport measure(ModelProto fp32, ModelProto lower, int threads, List<Integer> batches,
                                          List<ImageFolder.Labelled> eval, ImagePreprocessor pre, String evalSource,
                                          QuantProgress progress) {
        Map<String, String> meta = OnnxFiles.metadata(lower);
        Precision precision = Precision.parse(meta.getOrDefault(GraftMetadata.PRECISION, "fp32"));
        if (!eval.isEmpty() && !"single_label".equals(meta.get(GraftMetadata.TASK))) {
            throw new GraftException("top-1 accuracy needs a single-label model; this one is "
                    + meta.get(GraftMetadata.TASK));
        }
        byte[] a = fp32.toByteArray();
        byte[] b = lower.toByteArray();
        List<Latency> latencies = new ArrayList<>();
        Accuracy accuracy = null;
        try (OrtRunner ra = OrtRunner.open(a, OptLevel.ALL_OPT, threads);
             OrtRunner rb = OrtRunner.open(b, OptLevel.ALL_OPT, threads)) {
            int done = 0;
            for (int batch : batches) {
                progress.update("timing", done, batches.size());
                latencies.add(time(ra, rb, batch, pre));
                done++;
            }
            if (!batches.isEmpty()) {
                progress.update("timing", done, batches.size());
            }
            if (!eval.isEmpty()) {
                accuracy = evaluate(ra, rb, eval, pre, evalSource, progress);
            }
        }
        IntegerKernels kernels = precision == Precision.INT8 ? integerKernels(fp32, b) : null;
        return new PrecisionReport(precision, kernels, a.length, b.length, threads, latencies, accuracy);
    }

    /**
     * Loads {@code int8} (serialised) as a deployment would, at optimisation level "all", and counts the integer
     * kernels in the graph ONNX Runtime writes out.
     *
     * @throws GraftException if the model cannot be loaded or the optimised graph cannot be written or read
     */
    public static IntegerKernels integerKernels(ModelProto fp32, byte[] int8) {
        int convolutions = (int) fp32.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv"))
                .count();
        // A locked hidden temporary in the temporary-files folder: one a killed export left there is removed by the
        // next export that gets here.
        Path name = Path.of(System.getProperty("java.io.tmpdir"), "graft-int8-optimised.onnx");
        try (TemporaryFile file = TemporaryFile.beside(name)) {
            try (OrtRunner ignored = OrtRunner.open(int8, OptLevel.ALL_OPT, 1, file.path())) {
                // loading is all it takes: the session writes the optimised graph
            }
            Map<String, Integer> kernels = new LinkedHashMap<>();
            OnnxFiles.opHistogram(OnnxFiles.read(file.path())).forEach((op, n) -> {
                if (op.startsWith("QLinear") || op.equals("QGemm") || op.endsWith("Integer")) {
                    kernels.put(op, n);
                }
            });
            int integer = kernels.getOrDefault("QLinearConv", 0) + kernels.getOrDefault("ConvInteger", 0);
            return new IntegerKernels(convolutions, integer, kernels);
        } catch (IOException e) {
            throw new GraftException("cannot write ONNX Runtime's optimised graph: " + e.getMessage(), e);
        }
    }

    private static Latency time(OrtRunner a, OrtRunner b, int batch, ImagePreprocessor pre) {
        long[] shape = {batch, pre.channels(), pre.height(), pre.width()};
        float[] x = new float[batch * pre.floatsPerImage()];
        Random random = new Random(batch);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        String in = GraftMetadata.INPUT_NAME;
        String out = GraftMetadata.OUTPUT_NAME;
        for (int i = 0; i < WARMUP_RUNS; i++) {
            a.run(in, x, shape, out);
            b.run(in, x, shape, out);
        }
        double[] ta = new double[MAX_RUNS];
        double[] tb = new double[MAX_RUNS];
        int runs = 0;
        long start = System.nanoTime();
        while (runs < MAX_RUNS && (runs < MIN_RUNS || System.nanoTime() - start < BUDGET_NANOS)) {
            long t0 = System.nanoTime();
            a.run(in, x, shape, out);
            long t1 = System.nanoTime();
            b.run(in, x, shape, out);
            long t2 = System.nanoTime();
            ta[runs] = (t1 - t0) / 1e6;
            tb[runs] = (t2 - t1) / 1e6;
            runs++;
        }
        return new Latency(batch, runs, median(ta, runs), median(tb, runs));
    }

    private static double median(double[] v, int n) {
        double[] s = Arrays.copyOf(v, n);
        Arrays.sort(s);
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static Accuracy evaluate(OrtRunner a, OrtRunner b, List<ImageFolder.Labelled> eval, ImagePreprocessor pre,
                                     String source, QuantProgress progress) {
        int per = pre.floatsPerImage();
        int correctA = 0;
        int correctB = 0;
        int agreed = 0;
        progress.update("evaluating", 0, eval.size());
        for (int start = 0; start < eval.size(); start += EVAL_BATCH) {
            int n = Math.min(EVAL_BATCH, eval.size() - start);
            float[] x = new float[n * per];
            for (int i = 0; i < n; i++) {
                pre.read(eval.get(start + i).file(), x, i * per);
            }
            long[] shape = {n, pre.channels(), pre.height(), pre.width()};
            float[] pa = a.run(GraftMetadata.INPUT_NAME, x, shape, GraftMetadata.OUTPUT_NAME);
            float[] pb = b.run(GraftMetadata.INPUT_NAME, x, shape, GraftMetadata.OUTPUT_NAME);
            int classes = pa.length / n;
            for (int i = 0; i < n; i++) {
                int label = eval.get(start + i).label();
                int ya = argmax(pa, i * classes, classes);
                int yb = argmax(pb, i * classes, classes);
                correctA += ya == label ? 1 : 0;
                correctB += yb == label ? 1 : 0;
                agreed += ya == yb ? 1 : 0;
            }
            progress.update("evaluating", start + n, eval.size());
        }
        return new Accuracy(source, eval.size(), correctA, correctB, agreed);
    }

    private static int argmax(float[] v, int offset, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            if (v[offset + k] > v[offset + best]) {
                best = k;
            }
        }
        return best;
    }

    public Precision precision() {
        return precision;
    }

    /** For an int8 model, its integer kernels as ONNX Runtime runs them; empty otherwise. */
    public Optional<IntegerKernels> integerKernels() {
        return Optional.ofNullable(integerKernels);
    }

    /** The serialised size of the float32 model, in bytes. */
    public long fp32Bytes() {
        return fp32Bytes;
    }

    /** The serialised size of the lower-precision model, in bytes. */
    public long lowerBytes() {
        return lowerBytes;
    }

    public int threads() {
        return threads;
    }

    public List<Latency> latencies() {
        return latencies;
    }

    public Optional<Accuracy> accuracy() {
        return Optional.ofNullable(accuracy);
    }

    /** The report as lines of text, as {@code graft export} prints it. */
    public List<String> lines() {
        String p = precision.metadataValue();
        List<String> lines = new ArrayList<>();
        if (integerKernels != null) {
            lines.add(String.format(Locale.ROOT, "integer kernels: ONNX Runtime runs %d of %d convolutions as integer"
                    + " kernels (%s)", integerKernels.integerConvolutions(), integerKernels.convolutions(),
                    integerKernels.kernels().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                            .collect(java.util.stream.Collectors.joining(", "))));
        }
        lines.add(String.format(Locale.ROOT, "size: fp32 %.2f MB -> %s %.2f MB (%.2fx the size)", fp32Bytes / 1e6, p,
                lowerBytes / 1e6, (double) lowerBytes / fp32Bytes));
        for (Latency l : latencies) {
            lines.add(String.format(Locale.ROOT,
                    "latency batch %d: fp32 %.2f ms -> %s %.2f ms (%.2fx faster; ONNX Runtime CPU, %d threads,"
                            + " median of %d alternating runs)",
                    l.batch(), l.fp32Millis(), p, l.lowerMillis(), l.speedup(), threads, l.runs()));
        }
        if (accuracy != null) {
            Accuracy a = accuracy;
            lines.add(String.format(Locale.ROOT,
                    "accuracy on %d images of %s: fp32 top-1 %.2f%%, %s top-1 %.2f%% (%+.2f points), agreement %.2f%%"
                            + " (%d/%d)",
                    a.images(), a.source(), 100 * a.fp32Top1(), p, 100 * a.lowerTop1(),
                    100 * (a.lowerTop1() - a.fp32Top1()), 100 * a.agreement(), a.agreed(), a.images()));
        }
        return lines;
    }
}
