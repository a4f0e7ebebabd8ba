package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.graft.edge.BadInputException;
import dev.graft.edge.EdgeException;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.LabelScore;
import dev.graft.edge.Prediction;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code graft serve}'s HTTP server: the JDK's own {@link HttpServer} in front of one shared {@link EdgeModel}.
 *
 * <p><b>Back-pressure.</b> At most {@code threads} predictions run at once, and at most {@code queue} more wait for a
 * turn; a request beyond that is answered 503 at once instead of piling up until clients time out. A request holds its
 * place from the moment it is admitted (before its body is read) to its response, so a slow upload counts against the
 * queue too. Health, metadata and metrics never wait for a prediction.
 *
 * <p><b>Errors.</b> A body over the limit is 413 (from its Content-Length, before reading, or while reading); an image
 * that cannot be used is 400 with the decoder's one-line message; a failure of the runtime is 500. None of them stops
 * the server.
 *
 * <p><b>Shutdown.</b> {@link #shutdown(Duration)} stops admitting predictions (503), lets the running ones finish
 * within the grace period, then closes the socket; {@code graft serve} calls it from a shutdown hook, so SIGTERM is a
 * clean stop.
 */
final class PredictionServer {
    private static final Logger LOG = LoggerFactory.getLogger(PredictionServer.class);
    private static final String THREAD_PREFIX = "graft-http-";

    /** The settings of one server. */
    record Config(String host, int port, int threads, int queue, long maxBody) {
        Config {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new GraftException("--port must be 0 to 65535, not " + port);
            }
            if (threads < 1) {
                throw new GraftException("--threads must be at least 1, not " + threads);
            }
            if (queue < 0) {
                throw new GraftException("--queue must be 0 or more, not " + queue);
            }
            if (maxBody < 1) {
                throw new GraftException("--max-body must be positive, not " + maxBody);
            }
        }
    }

    private final EdgeModel model;
    private final Config config;
    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final Semaphore admission;
    private final Semaphore inference;
    private final ServerMetrics metrics = new ServerMetrics();
    private final AtomicInteger handling = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean draining;

    private PredictionServer(EdgeModel model, Config config) throws IOException {
        this.model = model;
        this.config = config;
        this.admission = new Semaphore(config.threads() + config.queue());
        this.inference = new Semaphore(config.threads(), true);
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        if (address.isUnresolved()) {
            throw new GraftException("cannot serve on " + config.host() + ": unknown host");
        }
        this.server = HttpServer.create(address, 0);
        AtomicInteger n = new AtomicInteger();
        // Threads for every admitted request plus a few for health checks; beyond that the dispatcher answers the
        // exchange itself, which for a prediction is always an immediate 503 (see predict).
        int max = config.threads() + config.queue() + 4;
        this.executor = new ThreadPoolExecutor(max, max, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, THREAD_PREFIX + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
        executor.allowCoreThreadTimeOut(true);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /**
     * Binds and starts serving.
     *
     * @throws GraftException if the address cannot be bound
     */
    static PredictionServer start(EdgeModel model, Config config) {
        try {
            PredictionServer s = new PredictionServer(model, config);
            s.server.start();
            return s;
        } catch (IOException e) {
            throw new GraftException("cannot serve on " + config.host() + ":" + config.port() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    /** The bound address (the real port when 0 was asked for). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    ServerMetrics metrics() {
        return metrics;
    }

    /** Places left for predictions (running plus waiting); 0 means the next one gets 503. */
    int freePlaces() {
        return admission.availablePermits();
    }

    /**
     * Stops: new predictions get 503, running ones get up to {@code grace} to finish, then the socket closes.
     *
     * @return whether every running request finished within the grace period
     */
    boolean shutdown(Duration grace) {
        draining = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (handling.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean clean = handling.get() == 0;
        server.stop(0);
        executor.shutdown();
        try {
            executor.awaitTermination(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped.countDown();
        return clean;
    }

    /** Blocks until {@link #shutdown} has finished. */
    void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    private void handle(HttpExchange ex) throws IOException {
        handling.incrementAndGet();
        metrics.inFlight.incrementAndGet();
        String path = ex.getRequestURI().getPath();
        String known = switch (path) {
            case "/predict", "/health", "/metadata", "/metrics" -> path;
            default -> "other";
        };
        int code = 500;
        try {
            code = switch (path) {
                case "/predict" -> predict(ex);
                case "/health" -> get(ex, () -> draining
                        ? send(ex, 503, PredictionJson.Json.MAPPER.createObjectNode().put("status", "shutting down"))
                        : send(ex, 200, PredictionJson.Json.MAPPER.createObjectNode().put("status", "ok")));
                case "/metadata" -> get(ex, () -> send(ex, 200, PredictionJson.metadata(model)));
                case "/metrics" -> get(ex, () -> sendText(ex, 200, metrics.prometheus(),
                        "text/plain; version=0.0.4; charset=utf-8"));
                default -> send(ex, 404, PredictionJson.error("no such path: " + path
                        + " (POST /predict, GET /health, /metadata, /metrics)"));
            };
        } catch (IOException | RuntimeException e) {
            LOG.debug("request to {} failed: {}", path, e.toString());
            throw e;
        } finally {
            metrics.answered(known, code);
            metrics.inFlight.decrementAndGet();
            handling.decrementAndGet();
            ex.close();
        }
    }

    private interface Answer {
        int run() throws IOException;
    }

    private int get(HttpExchange ex, Answer answer) throws IOException {
        if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Allow", "GET");
            return send(ex, 405, PredictionJson.error("use GET for " + ex.getRequestURI().getPath()));
        }
        return answer.run();
    }

    private int predict(HttpExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            ex.getResponseHeaders().set("Allow", "POST");
            return send(ex, 405, PredictionJson.error("POST the image bytes to /predict"));
        }
        if (draining) {
            return send(ex, 503, PredictionJson.error("the server is shutting down"));
        }
        // The dispatcher only runs an exchange itself when every worker is busy: the queue is full by definition.
        if (!Thread.currentThread().getName().startsWith(THREAD_PREFIX) || !admission.tryAcquire()) {
            return send(ex, 503, PredictionJson.error("the server is busy: " + config.threads() + " prediction(s) running"
                    + " and " + config.queue() + " waiting; try again"));
        }
        long start = System.nanoTime();
        try {
            String length = ex.getRequestHeaders().getFirst("Content-Length");
            if (length != null) {
                long n;
                try {
                    n = Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    return send(ex, 400, PredictionJson.error("bad Content-Length: " + length));
                }
                if (n > config.maxBody()) {
                    return tooLarge(ex);
                }
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxBody() + 1));
            }
            if (body.length > config.maxBody()) {
                return tooLarge(ex);
            }
            if (body.length == 0) {
                return send(ex, 400, PredictionJson.error("the request has no body: POST the image bytes"));
            }
            inference.acquire();
            Prediction p;
            try {
                p = model.predict(body);
            } finally {
                inference.release();
            }
            double millis = (System.nanoTime() - start) / 1e6;
            List<LabelScore> shown = p.labels();
            int code = send(ex, 200, PredictionJson.prediction(fileName(ex), p, shown, millis));
            metrics.predictLatency((System.nanoTime() - start) / 1e9);
            return code;
        } catch (BadInputException e) {
            return send(ex, 400, PredictionJson.error(e.getMessage()));
        } catch (EdgeException e) {
            LOG.warn("prediction failed: {}", e.getMessage());
            return send(ex, 500, PredictionJson.error(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return send(ex, 503, PredictionJson.error("the server is shutting down"));
        } finally {
            admission.release();
        }
    }

    /** The {@code file} query parameter, for the JSON's {@code file} field (the request has no file name otherwise). */
    private static String fileName(HttpExchange ex) {
        String q = ex.getRequestURI().getRawQuery();
        if (q != null) {
            for (String part : q.split("&")) {
                if (part.startsWith("file=")) {
                    return URLDecoder.decode(part.substring(5), StandardCharsets.UTF_8);
                }
            }
        }
        return "-";
    }

    private int tooLarge(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Connection", "close");
        return send(ex, 413, PredictionJson.error("the body is over the limit of " + config.maxBody() + " bytes"));
    }

    private static int send(HttpExchange ex, int code, JsonNode json) throws IOException {
        byte[] bytes = (json.toString() + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        return sendBytes(ex, code, bytes);
    }

    private static int sendText(HttpExchange ex, int code, String text, String type) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        return sendBytes(ex, code, text.getBytes(StandardCharsets.UTF_8));
    }

    private static int sendBytes(HttpExchange ex, int code, byte[] bytes) throws IOException {
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            ex.getResponseBody().write(bytes);
        }
        return code;
    }
}
