package dev.graft.benchmarks.interpret;

import dev.graft.benchmarks.proof.TrainedLikeWeights;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * {@code graft interpret} against {@code graft predict} on the same folder in the same run, each as its own process
 * (the real commands, {@code java -cp <this class path> dev.graft.cli.GraftCommand}), and the peak resident memory of
 * {@code graft interpret} on a small and a ten times larger folder.
 *
 * <p>Both commands run each image through runtime-edge one at a time with one ONNX Runtime thread; interpret adds the
 * streaming metrics, predict prints one line per image. Throughput is each command's own timing of its per-image work,
 * so that JVM and ONNX Runtime start-up (seconds, and noisy on a shared machine) do not drown it: the sum of
 * {@code graft predict --json}'s per-image {@code millis} (decode, preprocess, inference), and the loop time
 * {@code graft interpret} prints (the same, plus the metrics). Peak memory is the child's {@code VmHWM} from
 * {@code /proc}; the heap is fixed and touched up front ({@code -Xms} = {@code -Xmx}, {@code AlwaysPreTouch}), so the
 * heap's lazy growth does not count and what differs between the two folders is memory the run kept.
 *
 * <p>Run with the cli's jars on the class path: {@code java -cp "cli/target/graft-cli.jar:cli/target/lib/*"
 * dev.graft.benchmarks.interpret.InterpretThroughput [SMALL] [LARGE] [SIZE]} (defaults 1000 10000 64).
 */
public final class InterpretThroughput {
    private static final List<String> CLASSES = List.of("circle", "square", "stripe");
    private static final String HEAP = "-Xmx256m";

    private InterpretThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int small = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int large = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("graft-interpret-bench");
        try {
            Path model = dir.resolve("model.onnx");
            Network net = VisionModel.builder().setArch("resnet18").setClasses(CLASSES.size()).build();
            OnnxFiles.writeAtomically(OnnxExporter.exportFp32(ExportOptions.builder().setNetwork(net)
                    .setWeights(TrainedLikeWeights.of(net, 1)).optInputSize(size, size).optLabels(CLASSES).build()), model);
            Path smallDir = images(dir.resolve("small"), small, size);
            Path largeDir = images(dir.resolve("large"), large, size);
            out.printf(Locale.ROOT, "resnet18 %dpx, %s, 1 ONNX Runtime thread, %d cores; %d and %d images%n", size, HEAP,
                    Runtime.getRuntime().availableProcessors(), small, large);

            List<Path> smallFiles = list(smallDir);
            Path argFile = dir.resolve("predict.args");
            List<String> predictArgs = new ArrayList<>(List.of("predict", model.toString(), "--device", "cpu", "--threads",
                    "1", "--top", "1", "--json"));
            smallFiles.forEach(p -> predictArgs.add(p.toString()));
            Files.write(argFile, predictArgs, StandardCharsets.UTF_8);
            Run predict = graft(dir, List.of("@" + argFile));
            double predictSeconds = 0;
            for (String line : Files.readAllLines(dir.resolve("child.out"))) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"millis\":([0-9.eE+-]+)").matcher(line);
                if (m.find()) {
                    predictSeconds += Double.parseDouble(m.group(1)) / 1000;
                }
            }
            Run interpret = graft(dir, interpret(model, smallDir, dir));
            double interpretSeconds = loopSeconds(dir);
            Run interpretLarge = graft(dir, interpret(model, largeDir, dir));
            double largeSeconds = loopSeconds(dir);
            double predictRate = small / predictSeconds;
            double interpretRate = small / interpretSeconds;
            out.printf(Locale.ROOT, "%-22s %8s %10s %10s %12s%n", "command", "wall s", "images s", "images/s", "peak RSS MB");
            row(out, "predict (" + small + ")", predict, predictSeconds, predictRate);
            row(out, "interpret (" + small + ")", interpret, interpretSeconds, interpretRate);
            row(out, "interpret (" + large + ")", interpretLarge, largeSeconds, large / largeSeconds);
            out.printf(Locale.ROOT, "interpret / predict images per second (%d images): %.2fx%n", small,
                    interpretRate / predictRate);
            out.printf(Locale.ROOT, "interpret peak RSS on %d images minus on %d: %+.1f MB%n", large, small,
                    (interpretLarge.peakKb() - interpret.peakKb()) / 1024.0);
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static List<String> interpret(Path model, Path data, Path dir) {
        return List.of("interpret", model.toString(), "--data", data.toString(), "--device", "cpu", "--threads", "1",
                "--report", dir.resolve("interp.html").toString(), "--no-progress");
    }

    private static void row(PrintStream out, String name, Run r, double imageSeconds, double rate) {
        out.printf(Locale.ROOT, "%-22s %8.2f %10.2f %10.1f %12.1f%n", name, r.seconds(), imageSeconds, rate,
                r.peakKb() / 1024.0);
    }

    /** The loop time graft interpret printed ("N images through the model in S s"). */
    private static double loopSeconds(Path dir) throws IOException {
        for (String line : Files.readAllLines(dir.resolve("child.out"))) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("images through the model in ([0-9.]+) s")
                    .matcher(line);
            if (m.find()) {
                return Double.parseDouble(m.group(1));
            }
        }
        throw new IllegalStateException("graft interpret printed no loop time");
    }

    /** Class folders of small PNGs, each class a different shape on noise. */
    private static Path images(Path root, int count, int size) throws IOException {
        Random r = new Random(count);
        for (int i = 0; i < count; i++) {
            int c = i % CLASSES.size();
            BufferedImage img = new BufferedImage(size + 16, size + 16, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(r.nextInt(0xFFFFFF)));
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setColor(new Color(r.nextInt(0xFFFFFF)));
            int s = size / 2 + r.nextInt(size / 3);
            switch (c) {
                case 0 -> g.fillOval(8, 8, s, s);
                case 1 -> g.fillRect(8, 8, s, s);
                default -> g.fillRect(8, 8 + s / 3, size, s / 4);
            }
            g.dispose();
            Path d = Files.createDirectories(root.resolve(CLASSES.get(c)));
            ImageIO.write(img, "png", d.resolve(String.format(Locale.ROOT, "%06d.png", i)).toFile());
        }
        return root;
    }

    private static List<Path> list(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** One command's wall time and peak resident memory. */
    record Run(double seconds, long peakKb) {
    }

    private static Run graft(Path dir, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "-Xms256m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC", "-Djava.awt.headless=true", "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                "dev.graft.cli.GraftCommand"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("child.out").toFile())
                .redirectError(dir.resolve("child.err").toFile());
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        long start = System.nanoTime();
        Process p = pb.start();
        Path status = Path.of("/proc", Long.toString(p.pid()), "status");
        long peak = 0;
        while (!p.waitFor(20, TimeUnit.MILLISECONDS)) {
            peak = Math.max(peak, hwm(status));
        }
        double secs = (System.nanoTime() - start) / 1e9;
        if (p.exitValue() != 0) {
            throw new IllegalStateException("graft " + args.get(0) + " exited " + p.exitValue() + ": "
                    + Files.readString(dir.resolve("child.err")));
        }
        return new Run(secs, peak);
    }

    /** VmHWM (peak resident set) in kB, 0 once the process is gone. */
    private static long hwm(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
