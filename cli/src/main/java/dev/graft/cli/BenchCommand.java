package dev.graft.cli;

import dev.graft.benchmarks.BenchListener;
import dev.graft.benchmarks.BenchOptions;
import dev.graft.benchmarks.BenchRunner;
import dev.graft.benchmarks.ConsoleProgress;
import dev.graft.benchmarks.report.Baseline;
import dev.graft.benchmarks.report.HtmlReport;
import dev.graft.benchmarks.report.Tables;
import dev.graft.benchmarks.result.BenchResults;
import dev.graft.benchmarks.result.BenchRun;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code graft bench}: measures a model across engines, devices, thread counts and batch sizes, and
 * {@code graft bench merge}: puts results from several machines into one report.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = BenchCommand.Merge.class,
    description = {"Measure latency and throughput of an ONNX model: ONNX Runtime, and DJL's PyTorch on the checkpoint it",
        "was exported from, across devices, threads and batch sizes; model-only and, with --images, end to end.",
        "Several models (e.g. the fp32 and int8 exports of one checkpoint) are measured side by side in every",
        "configuration; compare them with --baseline precision=fp32, or several networks with --baseline arch=resnet50.",
        "Prints a table; writes JSON results (--out) and an HTML report with CSV and Markdown tables (--report)."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "MODEL.onnx", description = "The exported model, or several (one network in"
        + " several precisions, or several networks).")
    List<Path> models;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "The checkpoint the model was exported from: adds the djl engine.")
    Path checkpoint;

    @Option(names = "--engine", split = ",", paramLabel = "ENGINE", description = "ort, djl (default: ort, plus djl with --checkpoint).")
    List<String> engines;

    @Option(names = "--device", split = ",", paramLabel = "DEVICE", description = "cpu, cuda, cuda:N (default: cpu).")
    List<String> devices;

    @Option(names = "--threads", split = ",", paramLabel = "N", description = "Intra-op threads (default: the logical cores).")
    List<Integer> threads;

    @Option(names = "--batch", split = ",", paramLabel = "N", description = "Batch sizes (default: 1).")
    List<Integer> batches;

    @Option(names = "--warmup", defaultValue = "20", paramLabel = "N", description = "Warm-up inferences per configuration (default: ${DEFAULT-VALUE}).")
    int warmup;

    @ArgGroup(exclusive = true)
    Length length;

    static final class Length {
        @Option(names = "--runs", paramLabel = "N", description = "Measured inferences per configuration (default: 200).")
        Integer runs;

        @Option(names = "--min-seconds", paramLabel = "S", description = "Measure each configuration for S seconds instead.")
        Double minSeconds;
    }

    @Option(names = "--images", paramLabel = "DIR", description = "Image files: adds end-to-end timing (read, decode, preprocess, infer).")
    Path images;

    @Option(names = "--size", description = "Input size N or HxW, when the model does not fix it.")
    String size;

    @Option(names = "--label", description = "Name of this run in reports (default: the host name).")
    String label;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the results as JSON.")
    Path out;

    @Option(names = "--report", paramLabel = "FILE", description = "Write an HTML report, and FILE's name with .csv and .md.")
    Path report;

    @Option(names = "--baseline", paramLabel = "SELECTOR", description = "What speed-ups are measured against: e.g. engine=djl, precision=fp32, device=cpu,threads=1, or another network: arch=resnet50 (its graft.arch) or model=NAME (its file name) (default: the first configuration).")
    String baseline;

    @Option(names = "--no-spin", description = {"Engine threads sleep instead of busy-waiting between work (ONNX Runtime's",
        "allow_spinning=0; for DJL also set OMP_WAIT_POLICY=PASSIVE before starting): fairer on a shared machine."})
    boolean noSpin;

    @Option(names = "--no-progress", description = "No progress bars.")
    boolean noProgress;

    @Override
    public Integer call() {
        if (models == null || models.isEmpty()) {
            throw new GraftException("graft bench needs a model: graft bench MODEL.onnx [MODEL.onnx ...] [options], or"
                + " graft bench merge");
        }
        Baseline base = baseline == null ? null : Baseline.parse(baseline);
        checkOutputs(out, report, inputs());
        BenchOptions.Builder b = BenchOptions.builder().setModels(models).optCheckpoint(checkpoint).optEngines(engines)
            .optDevices(devices).optThreads(threads).optBatches(batches).optWarmup(warmup).optImages(images)
            .optLabel(label).optSpin(!noSpin);
        if (length != null) {
            b.optRuns(length.runs).optMinSeconds(length.minSeconds);
        }
        if (size != null) {
            int[] hw = CliOptions.parseSize(size);
            b.optSize(hw[0], hw[1]);
        }
        BenchOptions options = b.build();
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter e = spec.commandLine().getErr();
        BenchListener listener;
        PrintStream progressStream = null;
        if (noProgress) {
            listener = new BenchListener() {
                @Override
                public void note(String message) {
                    e.println("note: " + message);
                    e.flush();
                }
            };
        } else {
            progressStream = new PrintStream(new WriterStream(e), true, StandardCharsets.UTF_8);
            listener = new ConsoleProgress(progressStream, System.console() == null);
        }
        List<BenchRun> runs;
        try {
            runs = BenchRunner.runAll(options, listener);
        } finally {
            if (progressStream != null) {
                progressStream.flush();
            }
        }
        o.println();
        o.print(Tables.markdown(runs, base));
        write(runs, base, o);
        if (runs.stream().flatMap(r -> r.results().stream()).noneMatch(r -> r.ok())) {
            throw new GraftException("no configuration could run: " + runs.get(0).results().get(0).reason());
        }
        return 0;
    }

    /** The files a benchmark reads: the models and the checkpoint's files, which no output may replace. */
    private List<Path> inputs() {
        List<Path> in = new ArrayList<>(models);
        if (checkpoint != null) {
            in.addAll(RunFolder.files(checkpoint));
        }
        return in;
    }

    /** Refuses, before any measuring, an output that could not be written or would replace an input. */
    static void checkOutputs(Path out, Path report, List<Path> inputs) {
        if (out != null) {
            BenchResults.checkTarget(out, inputs);
        }
        if (report != null) {
            HtmlReport.checkTargets(report, inputs);
        }
    }

    private void write(List<BenchRun> runs, Baseline base, PrintWriter o) {
        if (out != null) {
            BenchResults.of(runs).write(out, inputs());
            o.println("wrote " + out);
        }
        if (report != null) {
            for (Path p : HtmlReport.write(runs, base, report, inputs())) {
                o.println("wrote " + p);
            }
        }
    }

    /** {@code graft bench merge}: several results files, from several machines, in one comparison. */
    @Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Merge benchmark results (from several machines or devices) into one results file and one report.",
            "Runs keep their labels; two runs of one model with the same label get #2, #3 ... appended."})
    static final class Merge implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "RESULTS.json", description = "Results written by graft bench --out (or merged ones).")
        List<Path> inputs;

        @Option(names = "--report", paramLabel = "FILE", description = "Write an HTML report, and FILE's name with .csv and .md.")
        Path report;

        @Option(names = "--out", paramLabel = "FILE", description = "Write the merged results as JSON.")
        Path out;

        @Option(names = "--baseline", paramLabel = "SELECTOR", description = "What speed-ups are measured against: e.g. run=laptop,engine=ort, engine=djl, precision=fp32, or arch=resnet50 (default: the first configuration).")
        String baseline;

        @Override
        public Integer call() {
            if (report == null && out == null) {
                throw new GraftException("graft bench merge writes --report FILE.html and/or --out FILE.json; give one");
            }
            Baseline base = baseline == null ? null : Baseline.parse(baseline);
            checkOutputs(out, report, inputs);
            List<BenchResults> files = new ArrayList<>();
            for (Path p : inputs) {
                files.add(BenchResults.read(p));
            }
            List<BenchRun> runs = uniqueLabels(BenchResults.merge(files).runs());
            PrintWriter o = spec.commandLine().getOut();
            o.print(Tables.markdown(runs, base));
            if (out != null) {
                BenchResults.of(runs).write(out, inputs);
                o.println("wrote " + out);
            }
            if (report != null) {
                for (Path p : HtmlReport.write(runs, base, report, inputs)) {
                    o.println("wrote " + p);
                }
            }
            return 0;
        }

        /** Runs of one label and one model would be indistinguishable in the report: the second gets #2, and so on. */
        static List<BenchRun> uniqueLabels(List<BenchRun> runs) {
            Map<String, Integer> seen = new HashMap<>();
            List<BenchRun> out = new ArrayList<>();
            for (BenchRun r : runs) {
                int n = seen.merge(r.label() + "\u0000" + r.model().sha256(), 1, Integer::sum);
                out.add(n == 1 ? r : r.withLabel(r.label() + "#" + n));
            }
            return out;
        }
    }

    /** Lets the progress bar library, which writes to a {@link PrintStream}, write to the command's error writer. */
    private static final class WriterStream extends OutputStream {
        private final PrintWriter writer;
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

        WriterStream(PrintWriter writer) {
            this.writer = writer;
        }

        @Override
        public void write(int b) {
            pending.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            writer.write(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
            writer.flush();
        }
    }
}
