package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code graft demo}: the whole path a user takes, in one command, through the same subcommands a user types (so the
 * demo can never show something the tools cannot do): data, summary, lr_find, fine-tuning, export with its parity
 * proof, prediction with runtime-edge, a benchmark with its report, the drawing, and the interpretation of the exported
 * model; the training report is written by the training step into the run folder.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run the whole pipeline end to end: synthetic data (or --data), summary, lr_find, fine-tuning of",
        "resnet18 + head on the CPU, ONNX export with its parity proof, predictions with runtime-edge, a benchmark",
        "with its HTML report, the model drawing, the training report and an interpretation of the exported model.",
        "Prints where every artefact is and the numbers that matter."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "demo-out", paramLabel = "DIR", description = "Where the artefacts go (default: ${DEFAULT-VALUE}; must be empty or absent).")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "Your own image folder (one sub-folder per class) instead of the synthetic shapes.")
    Path data;

    @Option(names = "--arch", defaultValue = "resnet18", description = "Backbone (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--quick", description = "A small, fast run (for CI): fewer, smaller images and epochs.")
    boolean quick;

    @Option(names = "--no-progress", description = "No progress bars.")
    boolean noProgress;

    private PrintWriter o;
    private PrintWriter err;
    private int step;
    private static final int STEPS = 9;

    @Override
    public Integer call() throws IOException {
        o = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        if (Files.exists(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new GraftException("demo output folder " + out + " is not empty; remove it or pass --out");
                }
            }
        }
        Files.createDirectories(out);
        int size = quick ? 32 : 64;
        int perClass = quick ? 30 : 200;
        int epochs = quick ? 2 : 12;
        String batch = quick ? "16" : "32";
        String sz = String.valueOf(size);
        Path dataDir = data != null ? data : out.resolve("data");
        Path run = out.resolve("run");
        Path onnx = out.resolve("model.onnx");
        Path lrSvg = out.resolve("lr_find.svg");
        Path benchJson = out.resolve("bench.json");
        Path report = out.resolve("report.html");
        Path drawing = out.resolve("model.svg");
        Path interp = out.resolve("interp.html");
        List<String> progress = noProgress ? List.of("--no-progress") : List.of();

        if (data == null) {
            run("synthetic data: 3 classes of textured shapes, " + size + " px", "data", "synth", "--out",
                dataDir.toString(), "--classes", "3", "--size", sz, "--per-class", String.valueOf(perClass), "--seed",
                "1");
        } else {
            step++;
        }
        run("what is trained: the body and the added head", "summary", "--arch", arch, "--classes",
            String.valueOf(classCount(dataDir)), "--size", sz);
        List<String> lrFind = new ArrayList<>(List.of("lr-find", "--data", dataDir.toString(), "--arch", arch, "--size",
            sz, "--batch", batch, "--iterations", quick ? "10" : "50", "--plot", lrSvg.toString()));
        lrFind.addAll(progress);
        run("lr_find: a learning-rate sweep (weights restored afterwards)", lrFind.toArray(String[]::new));
        List<String> train = new ArrayList<>(List.of("train", "--data", dataDir.toString(), "--arch", arch, "--size",
            sz, "--batch", batch, "--fine-tune", String.valueOf(epochs), "--freeze-epochs", "1", "--lr", "6e-3",
            "--lr-mult", "1", "--out", run.toString()));
        train.addAll(progress);
        run("fine-tuning on the CPU: the head first (body frozen), then everything. The body starts from random "
            + "initialisation (nothing is downloaded), so every group trains at one rate (--lr-mult 1)",
            train.toArray(new String[0]));
        String exported = run("export to ONNX with the softmax folded in, proven against the trained model", "export",
            "--checkpoint", run.toString(), "--out", onnx.toString());
        List<String> predict = new ArrayList<>(List.of("predict", onnx.toString(), "--top", "3"));
        predict.addAll(sampleImages(dataDir, 3));
        run("predictions with runtime-edge (ONNX Runtime, no DJL)", predict.toArray(new String[0]));
        List<String> bench = new ArrayList<>(List.of("bench", onnx.toString(), "--checkpoint", run.toString(),
            "--batch", "1", "--warmup", quick ? "3" : "10", "--runs", quick ? "10" : "50", "--out",
            benchJson.toString(), "--report", report.toString()));
        bench.addAll(progress);
        run("a short benchmark: ONNX Runtime (runtime-edge) against DJL PyTorch, batch 1", bench.toArray(new String[0]));
        run("the drawing: body stages, the cut, the head layer by layer", "draw", "--checkpoint", run.toString(),
            "--out", drawing.toString());

        List<String> interpret = new ArrayList<>(List.of("interpret", onnx.toString(), "--data", dataDir.toString(),
            "--report", interp.toString(), "--device", "cpu"));
        interpret.addAll(progress);
        run("what the exported model gets wrong: confusion matrix, top losses, calibration (through runtime-edge)",
            interpret.toArray(new String[0]));

        Checkpoint c = Checkpoint.read(run);
        JsonNode history = c.info().withArray("history");
        double accuracy = history.isEmpty() ? Double.NaN : history.get(history.size() - 1).path("metric").asDouble();
        Matcher m = Pattern.compile("parity: largest \\|difference\\| from the trained DJL model (\\S+)")
            .matcher(exported);
        String parity = m.find() ? m.group(1) : "?";
        double[] p50 = benchP50(benchJson);
        o.println();
        o.println("== graft demo: done in " + String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - t0) / 1e9));
        o.println("artefacts:");
        o.printf(Locale.ROOT, "  data            %s%n", dataDir);
        o.printf(Locale.ROOT, "  lr_find curve   %s%n", lrSvg);
        o.printf(Locale.ROOT, "  checkpoint      %s%n", run);
        o.printf(Locale.ROOT, "  training report %s%n", run.resolve(TrainingReport.FILE));
        o.printf(Locale.ROOT, "  ONNX model      %s%n", onnx);
        o.printf(Locale.ROOT, "  benchmark       %s, %s (.csv, .md beside it)%n", benchJson, report);
        o.printf(Locale.ROOT, "  drawing         %s%n", drawing);
        o.printf(Locale.ROOT, "  interpretation  %s (the exported model on the data)%n", interp);
        o.println("the three numbers:");
        o.printf(Locale.ROOT, "  validation accuracy   %.3f%n", accuracy);
        o.printf(Locale.ROOT, "  export parity         %s (largest |difference| of probabilities, ONNX vs DJL)%n",
            parity);
        o.printf(Locale.ROOT, "  latency (batch 1)     %s%n", Double.isNaN(p50[0]) ? "?" : String.format(Locale.ROOT,
            "%.2f ms p50 with ONNX Runtime%s", p50[0], Double.isNaN(p50[1]) ? ""
                : String.format(Locale.ROOT, " (DJL PyTorch %.2f ms, %.1fx)", p50[1], p50[1] / p50[0])));
        o.flush();
        return 0;
    }

    /** Runs one step through the real command line; a failure stops the demo with the step's own message. */
    private String run(String title, String... args) {
        step++;
        o.println();
        o.printf(Locale.ROOT, "== step %d/%d: %s%n", step, STEPS, title);
        o.println("$ graft " + String.join(" ", args));
        o.flush();
        StringWriter copy = new StringWriter();
        PrintWriter tee = new PrintWriter(new Tee(o, copy), true);
        int code = GraftCommand.execute(args, tee, err);
        tee.flush();
        if (code != 0) {
            throw new GraftException("demo stopped at step " + step + " (" + args[0] + "), exit code " + code
                + "; see the message above");
        }
        return copy.toString();
    }

    private static int classCount(Path dataDir) throws IOException {
        Path train = Files.isDirectory(dataDir.resolve("train")) ? dataDir.resolve("train") : dataDir;
        try (Stream<Path> s = Files.list(train)) {
            return (int) s.filter(Files::isDirectory).count();
        }
    }

    /** The first {@code n} validation images (or any images), one per class where possible. */
    private static List<String> sampleImages(Path dataDir, int n) throws IOException {
        Path from = Files.isDirectory(dataDir.resolve("valid")) ? dataDir.resolve("valid") : dataDir;
        List<String> picked = new ArrayList<>();
        try (Stream<Path> classes = Files.list(from).filter(Files::isDirectory).sorted()) {
            for (Path cls : (Iterable<Path>) classes::iterator) {
                try (Stream<Path> s = Files.list(cls).filter(Files::isRegularFile).sorted()) {
                    s.findFirst().ifPresent(p -> picked.add(p.toString()));
                }
                if (picked.size() == n) {
                    break;
                }
            }
        }
        if (picked.isEmpty()) {
            throw new GraftException("no images found under " + from + " to predict");
        }
        return picked;
    }

    /** p50 in ms of the first ORT and the first DJL configuration in the results (NaN where absent). */
    private static double[] benchP50(Path json) {
        double[] out = {Double.NaN, Double.NaN};
        try {
            JsonNode root = new ObjectMapper().readTree(json.toFile());
            List<JsonNode> found = new ArrayList<>();
            collect(root, found);
            for (JsonNode r : found) {
                double p = r.at("/latency_ms/p50").asDouble(Double.NaN);
                if (Double.isNaN(p) || !r.path("mode").asText("model").equals("model")) {
                    continue;
                }
                String engine = r.path("engine").asText();
                if (engine.equals("djl") && Double.isNaN(out[1])) {
                    out[1] = p;
                } else if (engine.equals("ort") && Double.isNaN(out[0])) {
                    out[0] = p;
                }
            }
        } catch (IOException e) {
            // the numbers are a summary; the report already holds them
        }
        return out;
    }

    private static void collect(JsonNode n, List<JsonNode> found) {
        if (n.isObject() && n.has("engine")) {
            found.add(n);
        }
        n.forEach(child -> collect(child, found));
    }

    /** Copies what a step prints to the terminal and to a buffer the demo reads its numbers from. */
    private static final class Tee extends Writer {
        private final Writer a;
        private final Writer b;

        Tee(Writer a, Writer b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(char[] cbuf, int off, int len) throws IOException {
            a.write(cbuf, off, len);
            b.write(cbuf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
