package dev.graft.benchmarks.latency;

import dev.graft.benchmarks.result.BenchResults;
import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.files.OutputFile;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The architecture table of docs/architectures.md from one {@code graft bench} results file and the logs of the
 * {@code graft export} runs that made its models, as {@code benchmarks/scripts/arch-latency.sh} leaves them: per
 * architecture the batch-1 P50 of its fp32 and int8 exports (models {@code <arch>} and {@code <arch>-int8}), each as a
 * ratio of latencies to resnet50's in the same precision, int8's speed-up over fp32, and from the export logs the
 * proof's largest difference and tolerance and how many convolutions ONNX Runtime runs as integer kernels.
 *
 * <p>Every latency comes from the one results file, so every ratio compares figures measured moments apart under the
 * same load; the table says which run and machine, and the load average the configurations started under. It judges
 * nothing: a missing model, a configuration that failed, or an export whose log lacks a figure shows as a dash and a
 * note.
 *
 * <pre>
 * java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.ArchLatencyTable RESULTS.json LOGDIR [OUT.md]
 * </pre>
 * Prints the Markdown table; with {@code OUT.md} also writes it there, atomically.
 */
public final class ArchLatencyTable {
    /** The architecture every ratio is taken against. */
    public static final String REFERENCE = "resnet50";
    /** What graft export prints after the proof (ExportCommand): the logit figures the rule judges. */
    private static final Pattern PARITY = Pattern.compile(
        "^parity: .*; logits(?:, centred per image)?: (\\S+) \\(own float32 (\\S+)\\)$", Pattern.MULTILINE);
    private static final Pattern TOLERANCE = Pattern.compile(
        "^proof: .*; logits(?:, centred per image,)? within (\\S+) \\(", Pattern.MULTILINE);
    /** An export made with an explicit --tolerance: its proof judged probabilities only. */
    private static final Pattern GIVEN_PARITY = Pattern.compile(
        "^parity: largest \\|difference\\| from the trained DJL model (\\S+) .*own float32 forward is (\\S+) from that",
        Pattern.MULTILINE);
    private static final Pattern GIVEN_TOLERANCE = Pattern.compile(
        "^proof: .*; probabilities within (\\S+) \\(given", Pattern.MULTILINE);
    private static final Pattern PROOF_SIZE = Pattern.compile("^proof: .* at (\\d+x\\d+) ", Pattern.MULTILINE);
    /** What graft export prints when the proof refuses the export's logits (ExportProof.Result#refusal). */
    private static final Pattern REFUSAL = Pattern.compile("the export does not match the trained model: its"
        + " logits(?:, centred per image,)? differ by up to (\\S+) from .*, more than the tolerance (\\S+) \\((.*?)\\)?;",
        Pattern.MULTILINE);
    /** Any other refusal (probabilities, the top class): no logit figures to show. */
    private static final Pattern OTHER_REFUSAL = Pattern.compile("the export does not match the trained model: (.*?);"
        + " nothing was written", Pattern.MULTILINE);
    private static final Pattern OWN = Pattern.compile("own float32-vs-float64 difference (\\S+?)[;)]");
    private static final Pattern REFUSED_SIZE = Pattern.compile("; seed \\d+, batch \\d+, (\\d+x\\d+)\\)");
    private static final Pattern KERNELS = Pattern.compile(
        "^integer kernels: ONNX Runtime runs (\\d+) of (\\d+) convolutions as integer kernels \\((.*)\\)$",
        Pattern.MULTILINE);
    /** The longest export log read; a log is a few dozen lines. */
    private static final long MAX_LOG_BYTES = 1 << 20;

    private ArchLatencyTable() {
    }

    /** One architecture's figures; null where not measured. */
    record Row(String arch, Double fp32Ms, Double int8Ms, Proof proof, Kernels kernels, List<String> notes) {
    }

    /**
     * The export proof's logit figures (centred per image under a softmax) at the checkpoint's size; {@code own} NaN
     * where the log does not give it.
     */
    record Proof(String size, double maxDiff, double own, double tolerance, boolean passed) {
    }

    /** Convolutions ONNX Runtime runs as integer kernels in the int8 export, and the kernels it uses. */
    record Kernels(int integer, int convolutions, String kernels) {
    }

    public static void main(String[] args) {
        try {
            if (args.length < 2 || args.length > 3) {
                throw new GraftException("usage: ArchLatencyTable RESULTS.json LOGDIR [OUT.md]");
            }
            String table = render(BenchResults.read(Path.of(args[0])).runs(), Path.of(args[1]));
            System.out.print(table);
            if (args.length == 3) {
                OutputFile.of(Path.of(args[2]), "the architecture table", List.of(Path.of(args[0])))
                    .writeString(table);
            }
        } catch (GraftException e) {
            System.err.println("ArchLatencyTable: " + e.getMessage());
            System.exit(1);
        } catch (IOException e) {
            System.err.println("ArchLatencyTable: " + e.getMessage());
            System.exit(1);
        }
    }

    /** The table for every architecture among the runs' models, in the order they were measured. */
    static String render(List<BenchRun> runs, Path logs) {
        Set<String> archs = new LinkedHashSet<>();
        Map<String, BenchRun> byModel = new LinkedHashMap<>();
        for (BenchRun r : runs) {
            byModel.put(r.model().name(), r);
            String name = r.model().name();
            archs.add(r.model().arch() != null ? r.model().arch()
                : name.endsWith("-int8") ? name.substring(0, name.length() - 5) : name);
        }
        List<Row> rows = new ArrayList<>();
        for (String arch : archs) {
            List<String> notes = new ArrayList<>();
            Double fp32 = p50(byModel.get(arch), arch, notes);
            Double int8 = p50(byModel.get(arch + "-int8"), arch + "-int8", notes);
            Proof proof = proof(logs.resolve(arch + ".export.log"), notes);
            Kernels kernels = kernels(logs.resolve(arch + "-int8.export.log"), notes);
            rows.add(new Row(arch, fp32, int8, proof, kernels, notes));
        }
        Row ref = rows.stream().filter(r -> r.arch().equals(REFERENCE)).findFirst().orElse(null);
        StringBuilder sb = new StringBuilder();
        sb.append(header(runs));
        sb.append("\n| `--arch` | fp32 P50 ms | int8 P50 ms | int8 faster by | fp32 / resnet50 fp32 | int8 / resnet50 int8"
            + " | export proof: logit difference / tolerance (own float32 error) | int8: convolutions as integer kernels"
            + " | latency cell (fp32 / int8, ratio to resnet50) |\n");
        sb.append("|---|--:|--:|--:|--:|--:|---|---|---|\n");
        for (Row r : rows) {
            Double fp32Ratio = ratio(r.fp32Ms(), ref == null ? null : ref.fp32Ms());
            Double int8Ratio = ratio(r.int8Ms(), ref == null ? null : ref.int8Ms());
            sb.append("| ").append(r.arch())
                .append(" | ").append(ms(r.fp32Ms()))
                .append(" | ").append(ms(r.int8Ms()))
                .append(" | ").append(times(ratio(r.fp32Ms(), r.int8Ms())))
                .append(" | ").append(times(fp32Ratio))
                .append(" | ").append(times(int8Ratio))
                .append(" | ").append(r.proof() == null ? "–" : String.format(Locale.ROOT, "%s%s / %s (%s)%s",
                    r.proof().passed() ? "" : "**refused** ", sci(r.proof().maxDiff()), sci(r.proof().tolerance()),
                    sci(r.proof().own()),
                    r.proof().size().equals("224x224") ? "" : " (at " + r.proof().size() + ")"))
                .append(" | ").append(r.kernels() == null ? "–" : String.format(Locale.ROOT, "%d of %d (%s)",
                    r.kernels().integer(), r.kernels().convolutions(), r.kernels().kernels()))
                .append(" | ").append(cell(r.fp32Ms(), r.int8Ms(), fp32Ratio, int8Ratio))
                .append(" |\n");
        }
        sb.append("\nRatios are latencies (P50 / resnet50's P50 in the same precision; below 1 is faster than"
            + " resnet50); \"int8 faster by\" is fp32 P50 / int8 P50. The proof's figures are its logit ones: the"
            + " largest difference between ONNX Runtime's logits and the checkpoint's float64 forward's at 224 px,"
            + " centred per image under a softmax, and the tolerance derived from the own float32 error (the"
            + " checkpoint's float32 forward against the same; docs/export-proof.md).\n");
        if (ref == null) {
            sb.append("Note: no ").append(REFERENCE).append(" model among the results: no ratios.\n");
        }
        for (Row r : rows) {
            for (String n : r.notes()) {
                sb.append("Note: ").append(r.arch()).append(": ").append(n).append('\n');
            }
        }
        return sb.toString();
    }

    /** Where and how the figures were measured: run, machine, settings and the load the configurations started at. */
    private static String header(List<BenchRun> runs) {
        Set<String> labels = new LinkedHashSet<>();
        DoubleSummaryStatistics load = new DoubleSummaryStatistics();
        for (BenchRun r : runs) {
            labels.add(r.label() + " (" + r.created() + ")");
            for (ConfigResult c : r.results()) {
                if (c.loadAverageBefore() != null) {
                    load.accept(c.loadAverageBefore());
                }
            }
        }
        BenchRun first = runs.get(0);
        ConfigResult c = first.results().get(0);
        return String.format(Locale.ROOT, "Batch-1 latency at 224 px, %s, %d thread(s), warm-up %d, %s; run %s; %s, %d"
                + " logical cores, ONNX Runtime %s; one-minute load average before each configuration %s.%n",
            c.engine(), c.threads(), first.settings().warmup(),
            first.settings().minSeconds() != null ? "at least " + java.math.BigDecimal.valueOf(first.settings()
                .minSeconds()).stripTrailingZeros().toPlainString() + " s each"
                : first.settings().runs() + " runs each",
            String.join(", ", labels), first.machine().cpuModel(), first.machine().cores(),
            first.machine().onnxRuntime(),
            load.getCount() == 0 ? "not recorded" : String.format(Locale.ROOT, "%.2f to %.2f", load.getMin(),
                load.getMax()));
    }

    /** The batch-1 model-only P50 of a model's ONNX Runtime row; null (with a note) where there is none. */
    private static Double p50(BenchRun run, String model, List<String> notes) {
        if (run == null) {
            notes.add("no model " + model + " in the results");
            return null;
        }
        for (ConfigResult c : run.results()) {
            if (c.batch() == 1 && "model".equals(c.mode()) && "ort".equals(c.engine())) {
                if (c.ok()) {
                    return c.latencyMs().p50();
                }
                notes.add(model + " " + c.status() + ": " + c.reason());
                return null;
            }
        }
        notes.add(model + " has no batch-1 ONNX Runtime row");
        return null;
    }

    private static Proof proof(Path log, List<String> notes) {
        Optional<String> text = read(log, notes);
        if (text.isEmpty()) {
            return null;
        }
        Matcher p = PARITY.matcher(text.get());
        Matcher t = TOLERANCE.matcher(text.get());
        Matcher s = PROOF_SIZE.matcher(text.get());
        if (p.find() && t.find() && s.find()) {
            return new Proof(s.group(1), Double.parseDouble(p.group(1)), Double.parseDouble(p.group(2)),
                Double.parseDouble(t.group(1)), true);
        }
        Matcher gp = GIVEN_PARITY.matcher(text.get());
        Matcher gt = GIVEN_TOLERANCE.matcher(text.get());
        if (gp.find() && gt.find() && s.find(0)) {
            notes.add("exported with an explicit --tolerance (" + log.getFileName() + "): its proof figures are"
                + " probabilities, not logits");
            return new Proof(s.group(1), Double.parseDouble(gp.group(1)), Double.parseDouble(gp.group(2)),
                Double.parseDouble(gt.group(1)), true);
        }
        Matcher r = REFUSAL.matcher(text.get());
        Matcher other = OTHER_REFUSAL.matcher(text.get());
        if (!r.find() && other.find()) {
            notes.add("the export proof refused the export (" + log.getFileName() + "): " + other.group(1));
            return null;
        }
        if (r.find(0)) {
            Matcher own = OWN.matcher(r.group(0));
            Matcher size = REFUSED_SIZE.matcher(text.get());
            notes.add("the export proof refused the export (" + log.getFileName() + ")");
            return new Proof(size.find() ? size.group(1) : "?", Double.parseDouble(r.group(1)),
                own.find() ? Double.parseDouble(own.group(1)) : Double.NaN, Double.parseDouble(r.group(2)), false);
        }
        notes.add(log + " has no proof figures (did the export fail?)");
        return null;
    }

    private static Kernels kernels(Path log, List<String> notes) {
        Optional<String> text = read(log, notes);
        if (text.isEmpty()) {
            return null;
        }
        Matcher k = KERNELS.matcher(text.get());
        if (!k.find()) {
            notes.add(log + " has no integer-kernel count (did the export fail?)");
            return null;
        }
        return new Kernels(Integer.parseInt(k.group(1)), Integer.parseInt(k.group(2)), k.group(3));
    }

    private static Optional<String> read(Path log, List<String> notes) {
        try {
            if (!Files.isRegularFile(log)) {
                notes.add("no export log " + log);
                return Optional.empty();
            }
            if (Files.size(log) > MAX_LOG_BYTES) {
                notes.add(log + " is larger than an export log (" + Files.size(log) + " bytes); not read");
                return Optional.empty();
            }
            return Optional.of(Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException | java.io.UncheckedIOException e) {
            notes.add("cannot read " + log + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static Double ratio(Double a, Double b) {
        return a == null || b == null ? null : a / b;
    }

    private static String ms(Double v) {
        return v == null ? "–" : Fmt.g(v);
    }

    private static String times(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.3gx", v);
    }

    private static String sci(double v) {
        return Double.isNaN(v) ? "?" : String.format(Locale.ROOT, "%.1e", v);
    }

    /** The column of docs/architectures.md's table: {@code 10.0 / 3.57 ms (0.39x / 0.42x)}. */
    private static String cell(Double fp32, Double int8, Double fp32Ratio, Double int8Ratio) {
        return ms(fp32) + " / " + ms(int8) + " ms (" + times(fp32Ratio) + " / " + times(int8Ratio) + ")";
    }

    /** Three significant figures, as the docs' tables give latencies. */
    private static final class Fmt {
        static String g(double v) {
            if (v >= 100) {
                return String.format(Locale.ROOT, "%.0f", v);
            }
            return v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
        }
    }
}
