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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * {@code graft interpret} against {@code graft predict} on the same folder in the same run, each as its own process
 * (the real commands, {@code java -cp <this class path> dev.graft.cli.GraftCommand}), and the peak resident memory of
 * {@code graft interpret} on a small and a ten times larger folder.
 *
 * <p>Like for like: both commands run the same files one image at a time through runtime-edge with one ONNX Runtime
 * thread on the CPU, under the same JVM flags, and both time their own loop the same way, wall-clock from before the
 * first image to after the last (predict prints it on stderr under a hidden {@code --loop-time} flag, interpret always
 * prints it). Each loop is everything the command does per image (predict: decode, preprocess, inference, formatting
 * and printing its line; interpret: the same without the line, plus the streaming metrics), and JVM and ONNX Runtime
 * start-up (seconds, and noisy on a shared machine) stay out. The two commands alternate (predict, interpret,
 * predict, interpret, ...) and the best loop of each counts, so a load change on a shared machine does not favour one
 * side. Peak memory is the child's {@code VmHWM} from {@code /proc}; the heap is fixed and touched up front
 * ({@code -Xms} = {@code -Xmx}, {@code AlwaysPreTouch}), so the heap's lazy growth does not count and what differs
 * between the two folders is memory the run kept.
 *
 * <p>Run with the cli's jars on the class path: {@code java -cp "cli/target/graft-cli.jar:cli/target/lib/*"
 * dev.graft.benchmarks.interpret.InterpretThroughput [SMALL] [LARGE] [SIZE] [REPEATS]} (defaults 1000 10000 64 3).
 */
public final class InterpretThroughput {
    private static final List<String> CLASSES = List.of("circle", "square", "stripe");
    private static final String HEAP = "-Xmx256m";
    private static final Pattern LOOP = Pattern.compile("(\\d+) images through the model in ([0-9.]+) s");

    private InterpretThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int small = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int large = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("graft-interpret-bench");
        try {
            Path model = dir.resolve("model.onnx");
            Network net = VisionModel.builder().setArch("resnet18").setClasses(CLASSES.size()).build();
            OnnxFiles.writeAtomically(OnnxExporter.exportFp32(ExportOptions.builder().setNetwork(net)
                    .setWeights(TrainedLikeWeights.of(net, 1)).optInputSize(size, size).optLabels(CLASSES).build()), model);
            Path smallDir = images(dir.resolve("small"), small, size);
            Path largeDir = images(dir.resolve("large"), large, size);
            out.printf(Locale.ROOT, "resnet18 %dpx, %s, 1 ONNX Runtime thread, cpu, %d cores; %d and %d images;"
                    + " predict and interpret alternate %d times each, best loop counts%n", size, HEAP,
                    Runtime.getRuntime().availableProcessors(), small, large, repeats);

            Path argFile = dir.resolve("predict.args");
            List<String> predictArgs = new ArrayList<>(List.of("predict", model.toString(), "--device", "cpu", "--threads",
                    "1", "--top", "1", "--loop-time"));
            list(smallDir).forEach(p -> predictArgs.add(p.toString()));
            Files.write(argFile, predictArgs, StandardCharsets.UTF_8);
            Run predict = null;
            Run interpret = null;
            long smallestInterpretPeak = Long.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                Run p = graft(dir, List.of("@" + argFile), small);
                Run in = graft(dir, interpret(model, smallDir, dir), small);
                out.printf(Locale.ROOT, "  round %d: predict %.2f s, interpret %.2f s (%.2fx)%n", i + 1, p.loopSeconds(),
                        in.loopSeconds(), p.loopSeconds() / in.loopSeconds());
                predict = predict == null || p.loopSeconds() < predict.loopSeconds() ? p : predict;
                interpret = interpret == null || in.loopSeconds() < interpret.loopSeconds() ? in : interpret;
                smallestInterpretPeak = Math.min(smallestInterpretPeak, in.peakKb());
            }
            Run interpretLarge = graft(dir, interpret(model, largeDir, dir), large);
            out.printf(Locale.ROOT, "%-22s %8s %10s %10s %12s%n", "command (best)", "wall s", "loop s", "images/s",
                    "peak RSS MB");
            row(out, "predict (" + small + ")", predict, small);
            row(out, "interpret (" + small + ")", interpret, small);
            row(out, "interpret (" + large + ")", interpretLarge, large);
            out.printf(Locale.ROOT, "interpret / predict images per second (%d images, best of %d each): %.2fx%n", small,
                    repeats, predict.loopSeconds() / interpret.loopSeconds());
            out.printf(Locale.ROOT, "interpret peak RSS on %d images minus the lowest on %d: %+.1f MB%n", large, small,
                    (interpretLarge.peakKb() - smallestInterpretPeak) / 1024.0);
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

    private static void row(PrintStream out, String name, Run r, int images) {
        out.printf(Locale.ROOT, "%-22s %8.2f %10.2f %10.1f %12.1f%n", name, r.seconds(), r.loopSeconds(),
                images / r.loopSeconds(), r.peakKb() / 1024.0);
    }

    /** The loop time the command printed ("N images through the model in S s"), checked against the image count. */
    private static double loopSeconds(Path dir, int images) throws IOException {
        for (Path f : List.of(dir.resolve("child.out"), dir.resolve("child.err"))) {
            for (String line : Files.readAllLines(f)) {
                Matcher m = LOOP.matcher(line);
                if (m.find()) {
                    if (Integer.parseInt(m.group(1)) != images) {
                        throw new IllegalStateException("ran " + m.group(1) + " images, not " + images);
                    }
                    return Double.parseDouble(m.group(2));
                }
            }
        }
        throw new IllegalStateException("the command printed no loop time");
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

    /** One command's wall time, its own loop time and its peak resident memory. */
    record Run(double seconds, double loopSeconds, long peakKb) {
    }

    private static Run graft(Path dir, List<String> args, int images) throws Exception {
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
        return new Run(secs, loopSeconds(dir, images), peak);
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
