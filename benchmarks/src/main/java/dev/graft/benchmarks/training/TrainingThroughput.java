package dev.graft.benchmarks.training;

import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.SyntheticDataset;
import dev.graft.trainer.learner.EpochResult;
import dev.graft.trainer.learner.Learner;
import dev.graft.trainer.schedule.LearningRates;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Training throughput of the trainer on the CPU: images per second for full training (everything trainable) and
 * head-only training (body frozen with its BatchNorm, so no gradient flows through it), and the process's resident
 * memory after every epoch, which must stay flat (a leak of native NDArrays shows as steady growth; run it with
 * {@code -XX:+AlwaysPreTouch} so that the Java heap's first use does not look like growth). Resident memory is also
 * shown without what the JVM has committed for itself (heap, compiled code, class metadata): with the heap
 * pre-touched, the rest is what native allocations hold (PyTorch's tensors, the engine, thread stacks), and it stays
 * flat when the garbage collector resizes the heap, which moves resident memory by hundreds of MB in one step.
 *
 * <p>A benchmark, not a test: it prints its figures and judges nothing. Data comes from the synthetic generator
 * through the same loader users train with, so decoding and augmentation are included.
 */
public final class TrainingThroughput {
    /** What one configuration measured. */
    public record Result(String mode, List<Double> imagesPerSecond, List<Long> rssKiB, List<Long> jvmKiB) {
        /** Throughput of the epochs after the first (which pays for warm-up). */
        public double steadyImagesPerSecond() {
            List<Double> tail = imagesPerSecond.size() > 1 ? imagesPerSecond.subList(1, imagesPerSecond.size())
                : imagesPerSecond;
            return tail.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }

    private TrainingThroughput() {
    }

    /**
     * Trains {@code epochs} epochs of resnet18 + head at {@code size} px with batch {@code batch} on {@code data}, in
     * the given mode ("full" or "head"), and reports throughput and memory per epoch.
     */
    public static Result run(ImageDataset data, String mode, int epochs, int size, int batch, int workers,
            PrintStream log) {
        boolean head = mode.equals("head");
        List<Double> ips = new ArrayList<>();
        List<Long> rss = new ArrayList<>();
        List<Long> jvm = new ArrayList<>();
        try (Learner learner = Learner.builder(data).setNetwork(VisionModel.builder().setArch("resnet18")
                .setClasses(data.classes().size()).build()).optSize(size).optBatchSize(batch).optWorkers(workers)
                .optSeed(1).optFreezeBatchNorm(head).build()) {
            if (head) {
                learner.freeze();
            }
            for (int e = 0; e < epochs; e++) {
                EpochResult r = learner.fitOneCycle(1, LearningRates.of(1e-3)).get(0);
                ips.add(r.imagesPerSecond());
                rss.add(rssKiB());
                jvm.add(jvmKiB());
                int batches = learner.batchesPerEpoch();
                log.printf(Locale.ROOT, "%-5s epoch %d: %7.1f images/s, resident memory %,d KiB (%,d outside the JVM's"
                    + " own), %,d native arrays; per batch: data wait %.1f ms, forward+backward %.1f ms, optimiser"
                    + " %.1f ms%n",
                    mode, e, r.imagesPerSecond(), rss.get(rss.size() - 1), rss.get(rss.size() - 1)
                        - jvm.get(jvm.size() - 1), learner.liveArrays(),
                    1000 * r.dataSeconds() / batches, 1000 * r.modelSeconds() / batches,
                    1000 * r.optimiserSeconds() / batches);
            }
        }
        return new Result(mode, ips, rss, jvm);
    }

    /**
     * What the JVM has committed for itself: the heap (resident when pre-touched) plus its non-heap pools (compiled
     * code, class metadata), which grow while the JIT compiles the first epochs' hot methods.
     */
    static long jvmKiB() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        return (memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted()) / 1024;
    }

    /** VmRSS of this process from /proc (Linux), -1 elsewhere. */
    static long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * {@code TrainingThroughput [epochs=5] [size=64] [batch=32] [perClass=200] [workers=cores]}: generates the
     * synthetic set in a temporary folder, then measures full and head-only training.
     */
    public static void main(String[] args) throws IOException {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int perClass = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        int workers = args.length > 4 ? Integer.parseInt(args[4]) : Runtime.getRuntime().availableProcessors();
        Path dir = Files.createTempDirectory("graft-train-bench");
        try {
            ImageDataset data = SyntheticDataset.generate(dir.resolve("shapes"), 3, size, perClass, false, 1);
            PrintStream out = System.out;
            out.printf(Locale.ROOT, "resnet18 + head, %d px, batch %d, %d training images, %d cores, CPU%n", size,
                batch, data.train().size(), Runtime.getRuntime().availableProcessors());
            out.printf(Locale.ROOT, "data loading: %d worker threads%n", workers);
            String tunables = System.getenv("GLIBC_TUNABLES");
            out.println(tunables == null
                ? "C allocator: glibc defaults (GLIBC_TUNABLES unset; docs/training-throughput.md's command sets it,"
                    + " as ./graft does)"
                : "C allocator: GLIBC_TUNABLES=" + tunables);
            boolean preTouch = ManagementFactory.getRuntimeMXBean().getInputArguments()
                .contains("-XX:+AlwaysPreTouch");
            out.println(preTouch
                ? "Java heap: pre-touched (-XX:+AlwaysPreTouch): resident memory moves with native memory and"
                    + " heap resizes"
                : "Java heap: paged in as it is first used (docs/training-throughput.md's command adds"
                    + " -XX:+AlwaysPreTouch), so resident memory also grows with the Java heap");
            Result full = run(data, "full", epochs, size, batch, workers, out);
            Result head = run(data, "head", epochs, size, batch, workers, out);
            for (Result r : List.of(full, head)) {
                int end = r.rssKiB().size() - 1;
                long first = r.rssKiB().get(0);
                long last = r.rssKiB().get(end);
                long nativeFirst = first - r.jvmKiB().get(0);
                long nativeLast = last - r.jvmKiB().get(end);
                out.printf(Locale.ROOT, "%-5s %7.1f images/s (epochs 2..%d), resident memory %,d -> %,d KiB (%+.1f%%),"
                    + " outside the JVM's own %,d -> %,d KiB (%+.1f%%)%n", r.mode(), r.steadyImagesPerSecond(), epochs,
                    first, last, 100.0 * (last - first) / first, nativeFirst, nativeLast,
                    100.0 * (nativeLast - nativeFirst) / nativeFirst);
            }
            out.printf(Locale.ROOT, "head-only / full: %.2fx%n", head.steadyImagesPerSecond()
                / full.steadyImagesPerSecond());
        } catch (GraftException e) {
            System.err.println("graft: " + e.getMessage());
            System.exit(1);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
