package dev.graft.benchmarks;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import dev.graft.benchmarks.engine.BenchEngine;
import dev.graft.benchmarks.engine.BenchSession;
import dev.graft.benchmarks.engine.DjlEngine;
import dev.graft.benchmarks.engine.EngineUnavailableException;
import dev.graft.benchmarks.engine.OrtEngine;
import dev.graft.benchmarks.input.ImageBatches;
import dev.graft.benchmarks.input.InputSpec;
import dev.graft.benchmarks.input.ModelFile;
import dev.graft.benchmarks.result.BenchConfig;
import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.benchmarks.result.ModelRecord;
import dev.graft.benchmarks.result.RunSettings;
import dev.graft.benchmarks.stats.LatencyStats;
import dev.graft.benchmarks.system.MachineInfo;
import dev.graft.benchmarks.system.ProcessMetrics;
import dev.graft.models.GraftException;
import dev.graft.models.GraftVersion;
import dev.graft.models.checkpoint.Checkpoint;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs a benchmark: every configuration of the options' matrix, one after the other in this process, each with a
 * fresh session, warm-up, and a measured loop of back-to-back inferences.
 *
 * <p>Per configuration: session creation is timed, then the first inference (which pays lazy allocation and, on some
 * engines, graph compilation), then the remaining warm-up, then the measured loop. Each measured inference is timed on
 * its own with {@link System#nanoTime()} around the engine call, which includes wrapping the input and copying the
 * output out, as an application pays them. End-to-end configurations also time reading, decoding and preprocessing the
 * batch's images inside the same interval.
 *
 * <p>Configurations that an engine cannot run on this machine are skipped with the engine's reason (once per engine
 * and device); a configuration that fails does not stop the others. The run's machine record gets the versions of the
 * engines that were actually loaded.
 */
public final class BenchRunner {
    private static final int MAX_SAMPLES = 10_000_000;

    private final BenchOptions options;
    private final BenchListener listener;

    private BenchRunner(BenchOptions options, BenchListener listener) {
        this.options = options;
        this.listener = listener;
    }

    /**
     * Runs every configuration of a one-model benchmark and returns the run, skipped and failed configurations
     * included.
     *
     * @throws IllegalArgumentException if the options name several models (use {@link #runAll})
     */
    public static BenchRun run(BenchOptions options, BenchListener listener) {
        if (options.models().size() != 1) {
            throw new IllegalArgumentException("BenchRunner.run measures one model, not " + options.models().size()
                + ": use runAll");
        }
        return runAll(options, listener).get(0);
    }

    /**
     * Runs every configuration for every model and returns one run per model, in the order given, each holding the
     * model's configurations (a run whose model had none, because only DJL ran, is left out).
     *
     * <p>ONNX Runtime runs each model in each configuration, the models one after the other inside it, so that the fp32
     * and int8 versions of a network are measured moments apart under the same load. DJL, which runs the checkpoint (in
     * fp32), runs once per configuration and is filed under the first fp32 model (the first model when none is fp32),
     * the one its speed-ups are naturally compared with. Every result records its precision.
     */
    public static List<BenchRun> runAll(BenchOptions options, BenchListener listener) {
        return new BenchRunner(options, listener == null ? BenchListener.NONE : listener).runModels();
    }

    /** What one configuration runs: the matrix point, the model (index into the models) and its precision. */
    private record Planned(BenchConfig config, int model, String precision) {
    }

    private List<BenchRun> runModels() {
        List<String> notes = new ArrayList<>();
        List<ModelFile> models = new ArrayList<>();
        for (Path p : options.models()) {
            models.add(ModelFile.inspect(p));
        }
        List<String> precisions = models.stream().map(BenchRunner::precisionOf).toList();
        int host = Math.max(0, precisions.indexOf("fp32"));
        Checkpoint checkpoint = options.checkpoint() == null ? null : Checkpoint.read(options.checkpoint());
        List<InputSpec> inputs = new ArrayList<>();
        for (ModelFile m : models) {
            inputs.add(InputSpec.resolve(m, checkpoint == null ? null : checkpoint.preprocessing(), options.size()));
        }
        List<String> checkpointNotes = new ArrayList<>();
        if (checkpoint != null) {
            checkCheckpoint(models.get(host), checkpoint, inputs.get(host), checkpointNotes);
        }
        List<ImageBatches> images = new ArrayList<>();
        for (InputSpec in : inputs) {
            images.add(options.images() == null ? null : ImageBatches.of(options.images(), in));
        }
        List<BenchEngine> ort = new ArrayList<>();
        BenchEngine djl = null;
        if (options.engines().contains("ort")) {
            for (int i = 0; i < models.size(); i++) {
                InputSpec in = inputs.get(i);
                ort.add(OrtEngine.of(models.get(i).path(), in.channels(), in.height(), in.width())
                    .withSpinning(options.spin()));
            }
        }
        if (options.engines().contains("djl")) {
            InputSpec in = inputs.get(host);
            djl = DjlEngine.of(checkpoint.network(), checkpoint.weights(), in.height(), in.width());
        }
        boolean peakPerConfig = ProcessMetrics.peakResetWorks();
        if (!peakPerConfig) {
            notes.add("peak memory is the process's peak since start: this kernel does not allow resetting it");
        }
        Map<String, String> environment = RunSettings.threadingEnvironment();
        if (!options.spin() && djl != null
                && !"PASSIVE".equalsIgnoreCase(environment.getOrDefault("OMP_WAIT_POLICY", ""))) {
            notes.add("--no-spin stops ONNX Runtime's threads spinning, but PyTorch's OpenMP threads still spin: set"
                + " OMP_WAIT_POLICY=PASSIVE before starting graft");
        }
        double load = ProcessMetrics.loadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        if (load > 0.5 * cores) {
            notes.add(String.format(java.util.Locale.ROOT, "the machine was busy before the run (load average %.2f on %d"
                + " logical cores): expect noise", load, cores));
        }
        notes.forEach(listener::note);
        checkpointNotes.forEach(listener::note);

        boolean several = models.size() > 1;
        List<Planned> plan = new ArrayList<>();
        for (BenchConfig c : options.configurations()) {
            if (c.engine().equals("ort")) {
                for (int i = 0; i < models.size(); i++) {
                    plan.add(new Planned(several ? c.forModel(models.get(i).name(), precisions.get(i)) : c, i,
                        precisions.get(i)));
                }
            } else {
                plan.add(new Planned(several ? c.forModel(null, "fp32") : c, host, "fp32"));
            }
        }
        List<List<ConfigResult>> results = new ArrayList<>();
        models.forEach(m -> results.add(new ArrayList<>()));
        Integer[] outputsPerImage = new Integer[models.size()];
        Map<String, String> unavailable = new HashMap<>();
        for (int i = 0; i < plan.size(); i++) {
            Planned p = plan.get(i);
            BenchConfig c = p.config();
            String key = c.engine() + "@" + c.device();
            ConfigResult r;
            if (unavailable.containsKey(key)) {
                listener.started(c, i + 1, plan.size(), 0);
                r = ConfigResult.skipped(c, unavailable.get(key));
            } else {
                listener.started(c, i + 1, plan.size(), plannedSteps());
                BenchEngine engine = c.engine().equals("ort") ? ort.get(p.model()) : djl;
                Measurement m = new Measurement(c, engine, inputs.get(p.model()), images.get(p.model()));
                try {
                    r = m.measure();
                    if (outputsPerImage[p.model()] == null) {
                        outputsPerImage[p.model()] = m.outputsPerImage;
                    }
                } catch (EngineUnavailableException e) {
                    unavailable.put(key, e.getMessage());
                    r = ConfigResult.skipped(c, e.getMessage());
                } catch (RuntimeException e) {
                    r = ConfigResult.failed(c, oneLine(e));
                }
            }
            r = r.withPrecision(p.precision());
            results.get(p.model()).add(r);
            listener.finished(r);
        }

        String ortVersion = !ort.isEmpty() ? OrtEnvironment.getEnvironment().getVersion() : null;
        String djlVersion = djl != null ? Engine.getDjlVersion() : null;
        String pytorch = djl != null ? safePytorchVersion() : null;
        MachineInfo machine = MachineInfo.detect(ortVersion, djlVersion, pytorch);
        String label = options.label() != null ? options.label() : machine.host();
        String created = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<BenchRun> runs = new ArrayList<>();
        for (int i = 0; i < models.size(); i++) {
            if (results.get(i).isEmpty() && i != host) {
                continue;
            }
            ModelFile model = models.get(i);
            InputSpec input = inputs.get(i);
            ImageBatches batches = images.get(i);
            ModelRecord record = new ModelRecord(model.name(), model.path().toString(), model.bytes(), model.sha256(),
                model.metadata().get("graft.arch"), precisions.get(i),
                List.of(input.channels(), input.height(), input.width()), outputsPerImage[i],
                i == host && options.checkpoint() != null ? options.checkpoint().toString() : null,
                model.metadata().get("graft.quantization"));
            RunSettings settings = new RunSettings(options.warmup(), options.runs(), options.minSeconds(),
                options.images() == null ? null : options.images().toString(), batches == null ? null : batches.count(),
                batches == null ? null : "read + decode (ImageIO) + " + input.height() + "x" + input.width()
                    + " centre crop + normalise (the trainer's validation transform)"
                    + ("crop".equals(input.resize()) ? "" : "; the model asks for " + input.resize()
                        + ", approximated by crop"),
                peakPerConfig, options.seed(), options.spin(), environment);
            List<String> runNotes = new ArrayList<>(notes);
            if (i == host) {
                runNotes.addAll(checkpointNotes);
            }
            runs.add(new BenchRun(label, created, GraftVersion.get(), machine, record, settings, runNotes,
                results.get(i)));
        }
        return runs;
    }

    /** A model's {@code graft.precision}, lower case; {@code fp32} when it has none. */
    private static String precisionOf(ModelFile model) {
        String p = model.metadata().get("graft.precision");
        return p == null || p.isBlank() ? "fp32" : p.strip().toLowerCase(java.util.Locale.ROOT);
    }

    private static String safePytorchVersion() {
        try {
            return DjlEngine.pytorchVersion();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void checkCheckpoint(ModelFile model, Checkpoint checkpoint, InputSpec input, List<String> notes) {
        if (checkpoint.network().inputChannels() != input.channels()) {
            throw new GraftException("the checkpoint's network takes " + checkpoint.network().inputChannels()
                + " channels but the ONNX model takes " + input.channels() + ": they are not the same model");
        }
        String source = model.metadata().get(ModelFile.SOURCE_KEY);
        String hash = Checkpoint.weightsHash(options.checkpoint());
        if (source == null) {
            notes.add("the ONNX model does not record which weights it was exported from; the DJL engine uses "
                + options.checkpoint() + " as given");
        } else if (!source.equals(hash)) {
            notes.add("the checkpoint's weights (sha256 " + hash.substring(0, 12) + ") are not the ones the ONNX model was"
                + " exported from (" + source.substring(0, Math.min(12, source.length())) + "): the engines compare"
                + " different weights of the same shape");
        }
    }

    private long plannedSteps() {
        long measured = options.runs() != null ? options.runs() : (long) Math.ceil(options.minSeconds() * 10);
        return Math.max(1, options.warmup()) + measured;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        String text = m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
        if (!(e instanceof GraftException) && m != null) {
            text = e.getClass().getSimpleName() + ": " + m;
        }
        return text.replaceAll("\\s+", " ").strip();
    }

    /** One configuration's measurement. */
    private final class Measurement {
        private final BenchConfig config;
        private final BenchEngine engine;
        private final InputSpec input;
        private final ImageBatches images;
        private Integer outputsPerImage;

        Measurement(BenchConfig config, BenchEngine engine, InputSpec input, ImageBatches images) {
            this.config = config;
            this.engine = engine;
            this.input = input;
            this.images = images;
        }

        ConfigResult measure() {
            boolean e2e = BenchConfig.END_TO_END.equals(config.mode());
            int n = config.batch();
            float[] x = new float[Math.multiplyExact(n, input.floatsPerImage())];
            if (!e2e) {
                SplittableRandom rnd = new SplittableRandom(options.seed());
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextDouble() * 4 - 2);
                }
            }
            System.gc();
            ProcessMetrics.resetPeakRss();
            double loadBefore = ProcessMetrics.loadAverage();
            long t0 = System.nanoTime();
            long[] latencies;
            long first;
            long wall;
            long cpu;
            long peak;
            String used;
            try (BenchSession session = engine.open(config.device(), config.threads())) {
                long created = System.nanoTime() - t0;
                used = session.device();
                long t = System.nanoTime();
                float[] out = step(session, x, n, e2e);
                first = System.nanoTime() - t;
                outputsPerImage = out.length / n;
                long done = 1;
                listener.progress(done);
                for (int i = 1; i < options.warmup(); i++) {
                    step(session, x, n, e2e);
                    listener.progress(++done);
                }
                long warm = done;
                long[] lat = new long[options.runs() != null ? options.runs() : 1024];
                int count = 0;
                long deadline = options.minSeconds() == null ? 0 : (long) (options.minSeconds() * 1e9);
                long cpu0 = ProcessMetrics.processCpuNanos();
                long start = System.nanoTime();
                while (true) {
                    if (options.runs() != null ? count >= options.runs()
                        : System.nanoTime() - start >= deadline || count >= MAX_SAMPLES) {
                        break;
                    }
                    long s = System.nanoTime();
                    step(session, x, n, e2e);
                    long e = System.nanoTime();
                    if (count == lat.length) {
                        lat = Arrays.copyOf(lat, lat.length * 2);
                    }
                    lat[count++] = e - s;
                    listener.progress(warm + (options.runs() != null ? count : (e - start) / 100_000_000L));
                }
                wall = System.nanoTime() - start;
                cpu = ProcessMetrics.processCpuNanos() - cpu0;
                peak = ProcessMetrics.peakRssBytes();
                latencies = Arrays.copyOf(lat, count);
                return result(created, first, latencies, wall, cpu, peak, used, loadBefore);
            }
        }

        private float[] step(BenchSession session, float[] x, int n, boolean e2e) {
            if (e2e) {
                images.fill(x, n);
            }
            return session.run(x, n);
        }

        private ConfigResult result(long created, long first, long[] latencies, long wall, long cpu, long peak,
                String used, double loadBefore) {
            LatencyStats stats = LatencyStats.ofNanos(latencies);
            double seconds = wall / 1e9;
            double ips = latencies.length / seconds;
            int cores = Runtime.getRuntime().availableProcessors();
            List<Double> raw = new ArrayList<>(latencies.length);
            for (long l : latencies) {
                raw.add(Math.round(l / 1e3) / 1e3);
            }
            return new ConfigResult(config.engine(), config.device(), config.threads(), config.batch(), config.mode(),
                config.precision(), ConfigResult.OK, null, used, created / 1e6, first / 1e6, latencies.length, seconds, stats, ips,
                ips * config.batch(), config.batch() == 1 && BenchConfig.MODEL.equals(config.mode()) ? stats.p90() : null,
                peak < 0 ? null : peak,
                cpu < 0 ? null : 100.0 * cpu / (wall * (double) cores), cpu < 0 ? null : cpu / (double) wall,
                loadBefore < 0 ? null : loadBefore, ProcessMetrics.loadAverage() < 0 ? null : ProcessMetrics.loadAverage(),
                raw);
        }
    }
}
