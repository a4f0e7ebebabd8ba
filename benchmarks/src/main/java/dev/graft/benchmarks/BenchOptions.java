package dev.graft.benchmarks;

import dev.graft.benchmarks.engine.Devices;
import dev.graft.benchmarks.result.BenchConfig;
import dev.graft.models.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Everything one benchmark run needs, checked as a whole before anything is loaded, so a bad option fails at once
 * rather than after minutes of measuring.
 *
 * <p>Immutable. Required: {@link Builder#setModel} or {@link Builder#setModels}. The matrix is devices x threads x
 * batch sizes x engines, each model-only and, with {@link Builder#optImages}, end-to-end too. With several models
 * (such as the fp32 and int8 exports of one checkpoint) ONNX Runtime runs each of them in every configuration, and
 * DJL, which runs the checkpoint, once.
 */
public final class BenchOptions {
    /** Engines the benchmark knows. */
    public static final List<String> ENGINES = List.of("ort", "djl");

    private final List<Path> models;
    private final Path checkpoint;
    private final List<String> devices;
    private final List<Integer> threads;
    private final List<Integer> batches;
    private final List<String> engines;
    private final int warmup;
    private final Integer runs;
    private final Double minSeconds;
    private final Path images;
    private final int[] size;
    private final String label;
    private final boolean spin;

    private BenchOptions(Builder b) {
        if (b.models == null || b.models.isEmpty()) {
            throw new GraftException("a benchmark needs a model (.onnx)");
        }
        Set<Path> seen = new HashSet<>();
        Map<String, Path> names = new HashMap<>();
        for (Path m : b.models) {
            if (!Files.isRegularFile(m)) {
                throw new GraftException("model " + m + (Files.exists(m) ? " is not a file" : " does not exist"));
            }
            if (!seen.add(m.toAbsolutePath().normalize())) {
                throw new GraftException("model " + m + " is given twice");
            }
            Path other = names.put(modelName(m), m);
            if (other != null) {
                throw new GraftException("models " + other + " and " + m + " have the same name, which reports tell"
                    + " models apart by: rename one");
            }
        }
        models = List.copyOf(b.models);
        checkpoint = b.checkpoint;
        if (checkpoint != null && !Files.isDirectory(checkpoint)) {
            throw new GraftException("checkpoint " + checkpoint + " does not exist (expected a folder made by graft train)");
        }
        devices = distinct(b.devices == null ? List.of("cpu") : b.devices.stream().map(Devices::normalise).toList(), "--device");
        threads = distinct(b.threads == null ? List.of(Runtime.getRuntime().availableProcessors()) : b.threads, "--threads");
        for (int t : threads) {
            if (t < 1 || t > 1024) {
                throw new GraftException("--threads takes 1 to 1024, not " + t);
            }
        }
        batches = distinct(b.batches == null ? List.of(1) : b.batches, "--batch");
        for (int n : batches) {
            if (n < 1 || n > 4096) {
                throw new GraftException("--batch takes 1 to 4096, not " + n);
            }
        }
        List<String> e = b.engines == null
            ? (checkpoint == null ? List.of("ort") : List.of("ort", "djl"))
            : b.engines.stream().map(s -> s.strip().toLowerCase(Locale.ROOT)).toList();
        for (String name : e) {
            if (!ENGINES.contains(name)) {
                throw new GraftException("unknown engine '" + name + "' (ort or djl)");
            }
        }
        if (e.contains("djl") && checkpoint == null) {
            throw new GraftException("the djl engine rebuilds the model from its checkpoint: give --checkpoint DIR");
        }
        engines = distinct(e, "--engine");
        if (b.warmup < 0 || b.warmup > 100_000) {
            throw new GraftException("--warmup takes 0 to 100000, not " + b.warmup);
        }
        warmup = b.warmup;
        if (b.runs != null && b.minSeconds != null) {
            throw new GraftException("give --runs or --min-seconds, not both");
        }
        if (b.runs != null && (b.runs < 1 || b.runs > 10_000_000)) {
            throw new GraftException("--runs takes 1 to 10000000, not " + b.runs);
        }
        if (b.minSeconds != null && !(b.minSeconds > 0 && b.minSeconds <= 86_400)) {
            throw new GraftException("--min-seconds takes a positive number of seconds up to a day, not " + b.minSeconds);
        }
        runs = b.runs == null && b.minSeconds == null ? Integer.valueOf(200) : b.runs;
        minSeconds = b.minSeconds;
        images = b.images;
        if (images != null && !Files.isDirectory(images)) {
            throw new GraftException("--images " + images + (Files.exists(images) ? " is not a folder" : " does not exist"));
        }
        size = b.size == null ? null : b.size.clone();
        label = b.label;
        spin = b.spin;
    }

    private static <T> List<T> distinct(List<T> values, String option) {
        if (values.isEmpty()) {
            throw new GraftException(option + " needs at least one value");
        }
        return List.copyOf(new LinkedHashSet<>(values));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The first (or only) model. */
    public Path model() {
        return models.get(0);
    }

    /** Every model, in the order given. */
    public List<Path> models() {
        return models;
    }

    /** A model's name in reports: the file name without {@code .onnx}. */
    public static String modelName(Path model) {
        String n = model.getFileName().toString();
        return n.endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
    }

    /** The checkpoint the DJL engine is rebuilt from, or null. */
    public Path checkpoint() {
        return checkpoint;
    }

    public List<String> devices() {
        return devices;
    }

    public List<Integer> threads() {
        return threads;
    }

    public List<Integer> batches() {
        return batches;
    }

    public List<String> engines() {
        return engines;
    }

    public int warmup() {
        return warmup;
    }

    /** Measured inferences per configuration, or null when timed by {@link #minSeconds()}. */
    public Integer runs() {
        return runs;
    }

    /** Seconds measured per configuration, or null when counted by {@link #runs()}. */
    public Double minSeconds() {
        return minSeconds;
    }

    /** The image folder for end-to-end configurations, or null. */
    public Path images() {
        return images;
    }

    /** An explicit {height, width}, or null. */
    public int[] size() {
        return size == null ? null : size.clone();
    }

    /** The run's label, or null for the host name. */
    public String label() {
        return label;
    }

    /** Seed of the random model-only inputs: fixed, so every run times the same numbers and results compare. */
    public long seed() {
        return 0;
    }

    /** Whether engine threads may busy-wait (the engines' default). */
    public boolean spin() {
        return spin;
    }

    /** Configurations in the order they run: devices, then threads, then batch, then engine, then mode. */
    public List<BenchConfig> configurations() {
        List<BenchConfig> out = new ArrayList<>();
        for (String d : devices) {
            for (int t : threads) {
                for (int n : batches) {
                    for (String e : engines) {
                        out.add(new BenchConfig(e, d, t, n,
                            BenchConfig.MODEL));
                        if (images != null) {
                            out.add(new BenchConfig(e, d, t, n,
                                BenchConfig.END_TO_END));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Builds {@link BenchOptions}; {@code setX} is required, {@code optX} has a default. */
    public static final class Builder {
        private List<Path> models;
        private Path checkpoint;
        private List<String> devices;
        private List<Integer> threads;
        private List<Integer> batches;
        private List<String> engines;
        private int warmup = 20;
        private Integer runs;
        private Double minSeconds;
        private Path images;
        private int[] size;
        private String label;
        private boolean spin = true;

        private Builder() {
        }

        /** The ONNX model to measure. */
        public Builder setModel(Path v) {
            models = v == null ? null : List.of(v);
            return this;
        }

        /**
         * Several ONNX models to measure side by side in every configuration, such as the fp32 and int8 exports of one
         * checkpoint; each keeps its own run in the results.
         */
        public Builder setModels(List<Path> v) {
            models = v == null ? null : List.copyOf(v);
            return this;
        }

        /** The checkpoint the model was exported from, for the DJL engine (run once, however many models). */
        public Builder optCheckpoint(Path v) {
            checkpoint = v;
            return this;
        }

        /** Devices: {@code cpu}, {@code cuda}, {@code cuda:N} (default: cpu). */
        public Builder optDevices(List<String> v) {
            devices = v == null ? null : List.copyOf(v);
            return this;
        }

        /** Intra-op thread counts (default: the logical cores). */
        public Builder optThreads(List<Integer> v) {
            threads = v == null ? null : List.copyOf(v);
            return this;
        }

        /** Batch sizes (default: 1). */
        public Builder optBatches(List<Integer> v) {
            batches = v == null ? null : List.copyOf(v);
            return this;
        }

        /** Engines: {@code ort}, {@code djl} (default: ort, plus djl when a checkpoint is given). */
        public Builder optEngines(List<String> v) {
            engines = v == null ? null : List.copyOf(v);
            return this;
        }

        /** Warm-up inferences per configuration (default: 20). */
        public Builder optWarmup(int v) {
            warmup = v;
            return this;
        }

        /** Measured inferences per configuration (default: 200). */
        public Builder optRuns(Integer v) {
            runs = v;
            return this;
        }

        /** Measure each configuration for this long instead of a fixed count. */
        public Builder optMinSeconds(Double v) {
            minSeconds = v;
            return this;
        }

        /** A folder of images: adds end-to-end configurations. */
        public Builder optImages(Path v) {
            images = v;
            return this;
        }

        /** The input size, when the model does not fix it. */
        public Builder optSize(int height, int width) {
            size = new int[] {height, width};
            return this;
        }

        /** The run's label in reports (default: the host name). */
        public Builder optLabel(String v) {
            label = v;
            return this;
        }

        /**
         * Whether engine threads may busy-wait between pieces of work (default: true, the engines' own default).
         * False switches ONNX Runtime's spinning off; PyTorch's OpenMP threads follow {@code OMP_WAIT_POLICY}, which
         * must be set before the JVM starts.
         */
        public Builder optSpin(boolean v) {
            spin = v;
            return this;
        }

        public BenchOptions build() {
            return new BenchOptions(this);
        }
    }
}
