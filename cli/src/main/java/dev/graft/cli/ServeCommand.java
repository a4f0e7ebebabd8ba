package dev.graft.cli;

import dev.graft.edge.EdgeException;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.models.GraftException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code graft serve}: an exported model behind HTTP, with back-pressure, metrics and a clean stop on SIGTERM. See
 * {@link PredictionServer} for the behaviour.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Serve an exported ONNX model over HTTP (Jetty, ONNX Runtime).",
        "POST /predict with the image bytes as the body; GET /health, /metadata, /metrics (Prometheus).",
        "A full queue answers 503 at once; slow clients are cut off after the header and body timeouts.",
        "Decoding memory is bounded by --decode-budget. SIGTERM lets running requests finish, then exits.",
        "Limits, timeouts and measured figures: docs/serve.md."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file written by graft export.")
    Path model;

    @Option(names = "--host", defaultValue = "${env:GRAFT_SERVE_HOST:-127.0.0.1}", description = "Address to listen on (default: ${DEFAULT-VALUE}: this machine only, unless GRAFT_SERVE_HOST says otherwise, as the container image does; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--threads", description = "Predictions run at once (default: the number of CPUs).")
    Integer threads;

    @Option(names = "--queue", defaultValue = "64", description = "Requests that may wait for a turn before 503 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--max-body", defaultValue = "10MB", description = "Largest request body, e.g. 512KB, 10MB (default: ${DEFAULT-VALUE}); larger is 413.")
    String maxBody;

    @Option(names = "--header-timeout", defaultValue = "10", description = "Seconds a connection gets to send a request's headers, counted from when it opens or its previous response ends (default: ${DEFAULT-VALUE}); then it is closed.")
    double headerTimeout;

    @Option(names = "--body-timeout", defaultValue = "30", description = "Seconds an upload gets to send its whole body once its headers are in (default: ${DEFAULT-VALUE}); then 408 and the connection is closed.")
    double bodyTimeout;

    @Option(names = "--max-connections", defaultValue = "512", description = "Connections open at once; more wait to be accepted (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--decode-budget", defaultValue = "512MB", description = "Memory that decoding images may take at once, estimated from each image's header (default: ${DEFAULT-VALUE}).")
    String decodeBudget;

    @Option(names = "--decode-wait", defaultValue = "5", description = "Seconds an image waits for room in the decoding budget before 503 with Retry-After (default: ${DEFAULT-VALUE}).")
    double decodeWait;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--intra-op-threads", description = "ONNX Runtime threads per prediction (default: CPUs / --threads, at least 1).")
    Integer intraOpThreads;

    @Option(names = "--top", defaultValue = "5", description = "Classes returned for single-label models (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--grace", defaultValue = "30", description = "Seconds running requests get to finish on SIGTERM (default: ${DEFAULT-VALUE}).")
    int grace;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int cpus = Runtime.getRuntime().availableProcessors();
        int t = threads == null ? cpus : threads;
        int intra = intraOpThreads == null ? Math.max(1, cpus / Math.max(1, t)) : intraOpThreads;
        PredictionServer.Config config = new PredictionServer.Config(host, port, t, queue,
                parseSize(maxBody, "--max-body"), seconds(headerTimeout, "--header-timeout"),
                seconds(bodyTimeout, "--body-timeout"), parseSize(decodeBudget, "--decode-budget"),
                seconds(decodeWait, "--decode-wait"), maxConnections);
        if (grace < 0) {
            throw new GraftException("--grace must be 0 or more seconds, not " + grace);
        }
        EdgeModel m;
        try {
            m = EdgeModel.load(model, EdgeOptions.builder().optDevice(device).optTopK(top).optIntraOpThreads(intra)
                    .optLogNotes(false).build());
        } catch (EdgeException e) {
            throw new GraftException(e.getMessage(), e);
        }
        PredictionServer server;
        try {
            server = PredictionServer.start(m, config);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        for (String note : m.metadata().assumptions()) {
            err.println("graft: note: " + note);
        }
        if (!m.options().device().equals("auto")) { // auto falling back to the CPU is the expected case, not news
            m.deviceNote().ifPresent(n -> err.println("graft: note: " + n));
        }
        err.flush();
        var a = server.address();
        out.printf(Locale.ROOT, "graft: serving %s (%s, %s, %d outputs) on %s with %s: http://%s:%d/predict"
                + " (threads %d, queue %d, max body %d bytes, decode budget %d MB)%n", model, m.metadata().arch(),
                m.task().metadataValue(), m.numOutputs(), m.device(), "ONNX Runtime " + m.runtimeVersion(),
                a.getHostString(), a.getPort(), t, queue, config.maxBody(), config.decodeBudget() >> 20);
        out.flush();
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable drain = () -> {
            if (!stopping.compareAndSet(false, true)) {
                awaitQuietly(stopped); // another thread is draining: a shutdown hook waits for it
                return;
            }
            try {
                out.println("graft: stopping (letting running requests finish, up to " + grace + " s)");
                out.flush();
                boolean clean = server.shutdown(Duration.ofSeconds(grace));
                m.close();
                out.println(clean ? "graft: stopped" : "graft: stopped; some requests were cut off after " + grace
                    + " s");
                out.flush();
            } finally {
                stopped.countDown();
            }
        };
        // SIGTERM and SIGINT drain before the JVM starts to shut down. Shutdown runs every hook at once, ONNX Runtime's
        // own among them, which releases its environment: a prediction still running then crashed in native code
        // (SIGSEGV in OrtSession.run, seen with ONNX Runtime 1.28). The hook stays for any other way of stopping.
        AtomicInteger exitCode = new AtomicInteger();
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), sig -> {
                    exitCode.compareAndSet(0, 128 + sig.getNumber());
                    new Thread(drain, "graft-serve-stop").start();
                });
            } catch (IllegalArgumentException e) {
                // the JVM keeps this signal (-Xrs, or a debugger's): the shutdown hook drains instead
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(drain, "graft-serve-shutdown"));
        awaitQuietly(stopped);
        return exitCode.get();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whole or fractional seconds, finite and not negative (the zero check is the server's). */
    static Duration seconds(double s, String option) {
        if (!Double.isFinite(s) || s < 0 || s > 86_400) {
            throw new GraftException(option + " takes seconds from 0 to 86400, not " + s);
        }
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    /** {@code 10MB}, {@code 512KB}, {@code 1GB} or a number of bytes (binary units: 1 KB = 1024 bytes). */
    static long parseSize(String text, String option) {
        return CliOptions.parseBytes(option, text);
    }
}
