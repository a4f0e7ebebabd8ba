package dev.graft.sparkbench;

import dev.graft.edge.EdgeInput;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.spark.GraftSpark;
import dev.graft.spark.ImageScorer;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The same images scored by Spark in {@code local[2]} and by a single-process runtime-edge loop on the same two cores
 * (the better of one worker with two ONNX Runtime threads and two workers with one), at the same batch size.
 *
 * <p>Each variant runs in its own child JVM (same class path, same flags) so that its peak memory is its own. Spark's
 * session start-up is reported apart from the job; the first job includes shipping and opening the model, the second
 * finds it open in the JVM. In local mode the executor is the driver's JVM, so its peak is the executor's.
 *
 * <pre>
 * args: [images=2000] [batch=32] [input size=224] [work folder=target/spark-bench]
 * </pre>
 */
public final class SparkThroughputBenchmark {
    private SparkThroughputBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(args);
            return;
        }
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 224;
        Path work = Path.of(args.length > 3 ? args[3] : "target/spark-bench");
        Path images = work.resolve("images-" + count);
        Path model = work.resolve("resnet18-" + size + ".onnx");
        prepare(images, count, model, size);
        System.out.printf(Locale.ROOT, "%d JPEGs of 640x480 (%.1f MiB), resnet18 at %dx%d, batch %d, %d cores seen%n",
                count, folderBytes(images) / 1048576.0, size, size, batch, Runtime.getRuntime().availableProcessors());

        Map<String, String> l12 = run("loop", images, model, batch, "1", "2");
        Map<String, String> l21 = run("loop", images, model, batch, "2", "1");
        Map<String, String> spark = run("spark", images, model, batch, "2", "1");
        double a = Double.parseDouble(l12.get("rate"));
        double b = Double.parseDouble(l21.get("rate"));
        Map<String, String> loop = a >= b ? l12 : l21;
        double best = Math.max(a, b);
        System.out.printf(Locale.ROOT, "runtime-edge loop 1 worker x 2 threads: %7.1f images/s  peak RSS %s MiB%n", a,
                l12.get("rss"));
        System.out.printf(Locale.ROOT, "runtime-edge loop 2 workers x 1 thread: %7.1f images/s  peak RSS %s MiB%n", b,
                l21.get("rss"));
        double first = Double.parseDouble(spark.get("rate"));
        double second = Double.parseDouble(spark.get("rate2"));
        System.out.printf(Locale.ROOT, "spark local[2], 2 tasks x 1 thread:     %7.1f images/s (first job, %s s,"
                + " with the model's transfer and opening), %7.1f images/s (second job, model already open)%n",
                first, spark.get("job"), second);
        System.out.printf(Locale.ROOT, "spark session start-up: %s s (not in the rates)%n", spark.get("startup"));
        System.out.printf(Locale.ROOT, "spark / best loop (%s): %.2fx first job, %.2fx second job (target >= 0.85x)%n",
                loop == l12 ? "1x2" : "2x1", first / best, second / best);
        System.out.printf(Locale.ROOT, "per CPU-second of the process (robust to a shared machine's load): loop 1x2 %.1f,"
                + " loop 2x1 %.1f, spark first job %.1f, second job %.1f images; spark / best loop %.2fx, %.2fx%n",
                Double.parseDouble(l12.get("cpu")), Double.parseDouble(l21.get("cpu")),
                Double.parseDouble(spark.get("cpu")), Double.parseDouble(spark.get("cpu2")),
                Double.parseDouble(spark.get("cpu")) / Math.max(Double.parseDouble(l12.get("cpu")),
                        Double.parseDouble(l21.get("cpu"))),
                Double.parseDouble(spark.get("cpu2")) / Math.max(Double.parseDouble(l12.get("cpu")),
                        Double.parseDouble(l21.get("cpu"))));
        System.out.printf(Locale.ROOT, "executor JVM (local mode: driver and executor in one JVM): peak RSS %s MiB,"
                + " peak heap %s MiB; loop JVM peak RSS %s MiB, peak heap %s MiB%n", spark.get("rss"),
                spark.get("heap"), loop.get("rss"), loop.get("heap"));
    }

    private static Map<String, String> run(String mode, Path images, Path model, int batch, String workers,
            String threads) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx4g", "-cp", System.getProperty("java.class.path"), SparkThroughputBenchmark.class.getName(),
                "child", mode, images.toString(), model.toString(), Integer.toString(batch), workers, threads));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        Process p = pb.start();
        Map<String, String> result = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("RESULT ")) {
                    for (String kv : line.substring(7).split(" ")) {
                        String[] parts = kv.split("=", 2);
                        result.put(parts[0], parts[1]);
                    }
                } else if (line.contains("ERROR") || line.contains("Exception")) {
                    System.out.println("  " + mode + ": " + line);
                }
            }
        }
        int code = p.waitFor();
        if (code != 0 || !result.containsKey("rate")) {
            throw new IllegalStateException(mode + " exited " + code + " without a result");
        }
        return result;
    }

    private static void child(String[] args) throws Exception {
        String mode = args[1];
        Path images = Path.of(args[2]);
        Path model = Path.of(args[3]);
        int batch = Integer.parseInt(args[4]);
        int workers = Integer.parseInt(args[5]);
        int threads = Integer.parseInt(args[6]);
        List<Path> files;
        try (Stream<Path> s = Files.list(images)) {
            files = s.sorted().toList();
        }
        if (mode.equals("loop")) {
            try (EdgeModel m = EdgeModel.load(model, EdgeOptions.builder().optDevice("cpu")
                    .optIntraOpThreads(threads).build())) {
                m.predictBatch(files.subList(0, batch).stream().map(EdgeInput::of).toList()); // warm-up
                AtomicInteger nextBatch = new AtomicInteger();
                long c0 = cpuNanos();
                long t0 = System.nanoTime();
                List<Thread> pool = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    Thread t = new Thread(() -> {
                        int i;
                        while ((i = nextBatch.getAndIncrement() * batch) < files.size()) {
                            m.predictBatch(files.subList(i, Math.min(files.size(), i + batch)).stream()
                                    .map(EdgeInput::of).toList());
                        }
                    });
                    t.start();
                    pool.add(t);
                }
                for (Thread t : pool) {
                    t.join();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                double cpu = (cpuNanos() - c0) / 1e9;
                System.out.printf(Locale.ROOT, "RESULT rate=%.2f seconds=%.2f cpu=%.2f rss=%d heap=%d%n",
                        files.size() / s, s, files.size() / cpu, peakRssMiB(), peakHeapMiB());
            }
            return;
        }
        long t0 = System.nanoTime();
        SparkSession spark = SparkSession.builder().master("local[" + workers + "]").appName("graft spark bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        double startup = (System.nanoTime() - t0) / 1e9;
        ImageScorer scorer = new ImageScorer().setModelPath(model.toString()).setBatchSize(batch).setDevice("cpu");
        double[] seconds = new double[2];
        double[] cpu = new double[2];
        for (int job = 0; job < 2; job++) {
            long c0 = cpuNanos();
            long j0 = System.nanoTime();
            Dataset<Row> scored = scorer.transform(GraftSpark.readImages(spark, images.toString()));
            Row counts = scored.agg(functions.count("*"), functions.count(ImageScorer.ERROR)).first();
            seconds[job] = (System.nanoTime() - j0) / 1e9;
            cpu[job] = (cpuNanos() - c0) / 1e9;
            if (counts.getLong(0) != files.size() || counts.getLong(1) != 0) {
                throw new IllegalStateException("scored " + counts.getLong(0) + " rows with " + counts.getLong(1)
                        + " errors, expected " + files.size() + " without");
            }
        }
        System.out.printf(Locale.ROOT, "RESULT rate=%.2f rate2=%.2f job=%.2f startup=%.2f cpu=%.2f cpu2=%.2f rss=%d"
                + " heap=%d%n", files.size() / seconds[0], files.size() / seconds[1], seconds[0], startup,
                files.size() / cpu[0], files.size() / cpu[1], peakRssMiB(), peakHeapMiB());
        spark.stop();
    }

    /** CPU time of this whole process (every thread, ONNX Runtime's native ones too). */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** The process's peak resident memory (VmHWM), in MiB; -1 where /proc is missing. */
    static long peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return -1;
    }

    /** The sum of the heap pools' peaks, in MiB. */
    static long peakHeapMiB() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum >> 20;
    }

    private static long folderBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void prepare(Path images, int count, Path model, int size) throws IOException {
        Files.createDirectories(images);
        for (int i = 0; i < count; i++) {
            Path f = images.resolve(String.format(Locale.ROOT, "photo%05d.jpg", i));
            if (!Files.exists(f)) {
                ImageIO.write(photo(640, 480, i), "jpg", f.toFile());
            }
        }
        if (!Files.exists(model)) {
            Network net = VisionModel.builder().setArch("resnet18").setClasses(10).build();
            Files.write(model, OnnxExporter.export(ExportOptions.builder().setNetwork(net)
                    .setWeights(Initializer.init(net, 7)).optInputSize(size, size).build()).toByteArray());
        }
    }

    /** A photo-like picture: gradients, noise (so JPEG has detail to code) and a few shapes. */
    private static BufferedImage photo(int w, int h, long seed) {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int red = (x * 255 / w + r.nextInt(24)) & 0xFF;
                int green = (y * 255 / h + r.nextInt(24)) & 0xFF;
                int blue = ((x + y) / 4 + r.nextInt(24)) & 0xFF;
                row[x] = red << 16 | green << 8 | blue;
            }
            img.setRGB(0, y, w, 1, row, 0, w);
        }
        Graphics2D g = img.createGraphics();
        for (int k = 0; k < 6; k++) {
            g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            g.fillOval(r.nextInt(w), r.nextInt(h), 40 + r.nextInt(200), 40 + r.nextInt(200));
        }
        g.dispose();
        return img;
    }
}
