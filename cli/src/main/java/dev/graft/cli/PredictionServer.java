package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.edge.BadInputException;
import dev.graft.edge.EdgeException;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.Prediction;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code graft serve}'s HTTP server: Jetty's core server (no servlets) in front of one shared {@link EdgeModel}.
 *
 * <p><b>Slow and silent clients.</b> Jetty reads request headers and bodies without holding a thread while it waits for
 * bytes, so a client that trickles or stops costs a connection, never a thread, and never the thread that accepts or
 * reads others. Each connection gets {@code headerTimeout} to deliver a request's headers (counted from when it opened
 * or finished its previous response) and each upload {@code bodyTimeout} to deliver its body; past either the
 * connection is closed (a late body first gets 408). {@code maxConnections} bounds the connections open at once: beyond
 * it new ones wait in the kernel's accept queue.
 *
 * <p><b>Back-pressure.</b> At most {@code threads} predictions run at once, and at most {@code queue} more wait for a
 * turn; a request beyond that is answered 503 at once instead of piling up until clients time out. A request holds its
 * place from the moment its headers arrive (before its body is read) to its response, so a slow upload counts against
 * the queue too, for at most {@code bodyTimeout}. Health, metadata and metrics never wait for a prediction.
 *
 * <p><b>Decoding memory.</b> Decoding is bounded by a {@link DecodeBudget}: an image waits up to {@code decodeWait} for
 * its share and is otherwise answered 503 with {@code Retry-After}. Decoding happens before a prediction slot is
 * taken, so large images being decoded do not hold up the inference of small ones.
 *
 * <p><b>Errors.</b> A body over the limit is 413 (from its Content-Length, before reading, or while reading); an image
 * that cannot be used is 400 with the decoder's one-line message; a failure of the runtime is 500. A client that goes
 * away mid-request is counted in {@code graft_client_disconnects_total}, not as an error of the server. None of them
 * stops the server.
 *
 * <p><b>Shutdown.</b> {@link #shutdown(Duration)} stops admitting predictions (503), lets the running ones finish
 * within the grace period, then closes the socket; {@code graft serve} calls it from a shutdown hook, so SIGTERM is a
 * clean stop.
 */
final class PredictionServer {
    private static final Logger LOG = LoggerFactory.getLogger(PredictionServer.class);
    private static final Duration SWEEP = Duration.ofMillis(100);

    /** The settings of one server. */
    record Config(String host, int port, int threads, int queue, long maxBody, Duration headerTimeout,
            Duration bodyTimeout, long decodeBudget, Duration decodeWait, int maxConnections) {
        static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
        static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(30);
        static final long DEFAULT_DECODE_BUDGET = 512L << 20;
        static final Duration DEFAULT_DECODE_WAIT = Duration.ofSeconds(5);
        static final int DEFAULT_MAX_CONNECTIONS = 512;

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
            if (headerTimeout.toMillis() < 1) {
                throw new GraftException("--header-timeout must be positive, not " + headerTimeout.toMillis() + " ms");
            }
            if (bodyTimeout.toMillis() < 1) {
                throw new GraftException("--body-timeout must be positive, not " + bodyTimeout.toMillis() + " ms");
            }
            if (decodeBudget < 1 << 20) {
                throw new GraftException("--decode-budget must be at least 1MB, not " + decodeBudget + " bytes");
            }
            if (decodeWait.isNegative()) {
                throw new GraftException("--decode-wait must be 0 or more seconds");
            }
            if (maxConnections < 1) {
                throw new GraftException("--max-connections must be at least 1, not " + maxConnections);
            }
        }

        /** The defaults for everything but the listening address, the pool sizes and the body limit. */
        Config(String host, int port, int threads, int queue, long maxBody) {
            this(host, port, threads, queue, maxBody, DEFAULT_HEADER_TIMEOUT, DEFAULT_BODY_TIMEOUT,
                    DEFAULT_DECODE_BUDGET, DEFAULT_DECODE_WAIT, DEFAULT_MAX_CONNECTIONS);
        }

        Config withTimeouts(Duration header, Duration body) {
            return new Config(host, port, threads, queue, maxBody, header, body, decodeBudget, decodeWait,
                    maxConnections);
        }

        Config withDecodeBudget(long bytes, Duration wait) {
            return new Config(host, port, threads, queue, maxBody, headerTimeout, bodyTimeout, bytes, wait,
                    maxConnections);
        }
    }

    private final EdgeModel model;
    private final Config config;
    private final Server server;
    private final ServerConnector connector;
    private volatile int boundPort;
    private final ThreadPoolExecutor predictions;
    private final ScheduledExecutorService timers;
    private final Semaphore admission;
    private final Semaphore inference;
    private final DecodeBudget budget;
    private final ServerMetrics metrics = new ServerMetrics();
    private final Map<Connection, ConnectionState> connections = new ConcurrentHashMap<>();
    private final AtomicInteger handling = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean draining;

    /** Where a connection is: waiting for a request's headers since {@code idleSince}, or inside a request. */
    private static final class ConnectionState {
        volatile boolean inRequest;
        volatile long idleSince = System.nanoTime();
        volatile long bytesAtIdle;
    }

    private PredictionServer(EdgeModel model, Config config) {
        this.model = model;
        this.config = config;
        this.admission = new Semaphore(config.threads() + config.queue());
        this.inference = new Semaphore(config.threads(), true);
        this.budget = new DecodeBudget(config.decodeBudget());
        metrics.decodeBudget(budget);
        metrics.openConnections(connections::size);
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        if (address.isUnresolved()) {
            throw new GraftException("cannot serve on " + config.host() + ": unknown host");
        }
        // Every admitted request gets a thread for its decoding and prediction; admission bounds how many there are.
        int places = config.threads() + config.queue();
        AtomicInteger n = new AtomicInteger();
        this.predictions = new ThreadPoolExecutor(places, places, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> daemon(r, "graft-predict-" + n.incrementAndGet()));
        predictions.allowCoreThreadTimeOut(true);
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "graft-http-timeouts"));

        // Jetty's threads never wait on a client or a prediction (bodies are read as they arrive, predictions run on
        // the threads above), so a small pool serves every connection.
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("graft-http");
        pool.setDaemon(true);
        this.server = new Server(pool);
        server.setStopTimeout(0);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        // The sweeper enforces the header and body deadlines; the idle timeout only catches a peer that stops reading
        // its response, and must not cut a prediction that is still running.
        connector.setIdleTimeout(Math.max(config.headerTimeout().toMillis(), config.bodyTimeout().toMillis()) + 5_000);
        connector.addBean(new Connection.Listener() {
            @Override
            public void onOpened(Connection c) {
                connections.put(c, new ConnectionState());
            }

            @Override
            public void onClosed(Connection c) {
                connections.remove(c);
            }
        });
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(config.maxConnections(), server));
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                PredictionServer.this.handle(request, response, callback);
                return true;
            }
        });
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Binds and starts serving.
     *
     * @throws GraftException if the address cannot be bound
     */
    static PredictionServer start(EdgeModel model, Config config) {
        PredictionServer s = new PredictionServer(model, config);
        try {
            s.server.start();
        } catch (Exception e) {
            s.stopQuietly();
            Throwable cause = e instanceof IOException || e.getCause() == null ? e : e.getCause();
            throw new GraftException("cannot serve on " + config.host() + ":" + config.port() + ": "
                    + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), e);
        }
        s.boundPort = s.connector.getLocalPort();
        long sweep = SWEEP.toMillis();
        s.timers.scheduleWithFixedDelay(s::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
        return s;
    }

    /** The bound address (the real port when 0 was asked for). */
    InetSocketAddress address() {
        return new InetSocketAddress(config.host(), boundPort);
    }

    ServerMetrics metrics() {
        return metrics;
    }

    /** Places left for predictions (running plus waiting); 0 means the next one gets 503. */
    int freePlaces() {
        return admission.availablePermits();
    }

    /** Connections open now. */
    int openConnections() {
        return connections.size();
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
        stopQuietly();
        predictions.shutdown();
        try {
            predictions.awaitTermination(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped.countDown();
        return clean;
    }

    private void stopQuietly() {
        timers.shutdownNow();
        try {
            server.stop();
        } catch (Exception e) {
            LOG.debug("stopping the HTTP server: {}", e.toString());
        }
    }

    /** Blocks until {@link #shutdown} has finished. */
    void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Closes connections that took too long to deliver a request's headers. */
    private void sweep() {
        long now = System.nanoTime();
        long limit = config.headerTimeout().toNanos();
        connections.forEach((c, st) -> {
            if (!st.inRequest && now - st.idleSince > limit) {
                if (c.getBytesIn() > st.bytesAtIdle) {
                    metrics.timedOut("headers");
                } else {
                    metrics.idleClosed();
                }
                connections.remove(c);
                c.getEndPoint().close();
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ one exchange

    /** One request and its response: answers once, counts once, and tells its connection when it is over. */
    private final class Exchange {
        final Request request;
        final Response response;
        final Callback callback;
        final String path;
        final String known;
        final ConnectionState connection;
        final AtomicBoolean answered = new AtomicBoolean();
        final long start = System.nanoTime();
        volatile boolean admitted;

        Exchange(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.path = Request.getPathInContext(request);
            this.known = switch (path) {
                case "/predict", "/health", "/metadata", "/metrics" -> path;
                default -> "other";
            };
            this.connection = connections.get(request.getConnectionMetaData().getConnection());
            if (connection != null) {
                connection.inRequest = true;
            }
        }

        boolean head() {
            return request.getMethod().equals("HEAD");
        }

        void json(int code, JsonNode json) {
            bytes(code, (json.toString() + "\n").getBytes(StandardCharsets.UTF_8), "application/json");
        }

        /** Sends the response (once: later calls are ignored) and ends the exchange when it is written or fails. */
        void bytes(int code, byte[] body, String type) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            // Counted when answered, not when delivered: a client that has its answer may ask /metrics at once.
            metrics.answered(known, code);
            if (code == 200 && known.equals("/predict")) {
                metrics.predictLatency((System.nanoTime() - start) / 1e9);
            }
            try {
                response.setStatus(code);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                response.write(true, head() ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), Callback.from(() -> {
                    end();
                    callback.succeeded();
                }, failure -> {
                    metrics.disconnected("response");
                    LOG.debug("response to {} not delivered: {}", path, failure.toString());
                    end();
                    callback.failed(failure);
                }));
            } catch (RuntimeException e) {
                // the response could not even be started: the connection is already gone
                metrics.disconnected("response");
                end();
                callback.failed(e);
            }
        }

        /** Ends the exchange without a response: the client has gone. */
        void abandon(String phase, Throwable why) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            metrics.disconnected(phase);
            LOG.debug("client left {} during its {}: {}", path, phase, why.toString());
            end();
            callback.failed(why);
        }

        private void end() {
            if (admitted) {
                admitted = false;
                admission.release();
            }
            metrics.inFlight.decrementAndGet();
            handling.decrementAndGet();
            if (connection != null) {
                Connection c = request.getConnectionMetaData().getConnection();
                connection.bytesAtIdle = c.getBytesIn();
                connection.idleSince = System.nanoTime();
                connection.inRequest = false;
            }
        }
    }

    private void handle(Request request, Response response, Callback callback) {
        handling.incrementAndGet();
        metrics.inFlight.incrementAndGet();
        // A prediction may take longer than the idle timeout; only the deadlines of this class end a request.
        request.addIdleTimeoutListener(t -> false);
        Exchange ex = new Exchange(request, response, callback);
        try {
            switch (ex.path) {
                case "/predict" -> predict(ex);
                case "/health" -> get(ex, () -> ex.json(draining ? 503 : 200, PredictionJson.Json.MAPPER
                        .createObjectNode().put("status", draining ? "shutting down" : "ok")));
                case "/metadata" -> get(ex, () -> ex.json(200, PredictionJson.metadata(model)));
                case "/metrics" -> get(ex, () -> ex.bytes(200, metrics.prometheus().getBytes(StandardCharsets.UTF_8),
                        "text/plain; version=0.0.4; charset=utf-8"));
                default -> ex.json(404, PredictionJson.error("no such path: " + ex.path
                        + " (POST /predict, GET /health, /metadata, /metrics)"));
            }
        } catch (RuntimeException e) {
            LOG.warn("request to {} failed: {}", ex.path, e.toString());
            ex.json(500, PredictionJson.error("internal error: " + e.getClass().getSimpleName()));
        }
    }

    private void get(Exchange ex, Runnable answer) {
        String method = ex.request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            ex.response.getHeaders().put(HttpHeader.ALLOW, "GET");
            ex.json(405, PredictionJson.error("use GET for " + ex.path));
            return;
        }
        answer.run();
    }

    private void predict(Exchange ex) {
        if (!ex.request.getMethod().equals("POST")) {
            ex.response.getHeaders().put(HttpHeader.ALLOW, "POST");
            ex.json(405, PredictionJson.error("POST the image bytes to /predict"));
            return;
        }
        if (draining) {
            ex.json(503, PredictionJson.error("the server is shutting down"));
            return;
        }
        if (!admission.tryAcquire()) {
            ex.response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            ex.json(503, PredictionJson.error("the server is busy: " + config.threads() + " prediction(s) running"
                    + " and " + config.queue() + " waiting; try again"));
            return;
        }
        ex.admitted = true;
        String length = ex.request.getHeaders().get(HttpHeader.CONTENT_LENGTH);
        if (length != null) {
            long n;
            try {
                n = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                ex.json(400, PredictionJson.error("bad Content-Length: " + length));
                return;
            }
            if (n > config.maxBody()) {
                tooLarge(ex);
                return;
            }
        }
        // sized from the declared length, but a declaration alone (with no bytes behind it) reserves at most 256 KB
        new BodyReader(ex, length == null ? 8192 : (int) Math.min(256 << 10, Long.parseLong(length.trim()))).start();
    }

    private void tooLarge(Exchange ex) {
        ex.response.getHeaders().put(HttpHeader.CONNECTION, "close");
        ex.json(413, PredictionJson.error("the body is over the limit of " + config.maxBody() + " bytes"));
    }

    /**
     * Reads a request body without holding a thread while waiting for bytes, up to the body limit and within the body
     * deadline, then hands it to a prediction thread.
     */
    private final class BodyReader implements Runnable {
        private final Exchange ex;
        private final AtomicBoolean done = new AtomicBoolean();
        private byte[] buf;
        private int size;
        private ScheduledFuture<?> deadline;

        /** @param expected the declared length (already checked against the limit), or a first guess */
        BodyReader(Exchange ex, int expected) {
            this.ex = ex;
            this.buf = new byte[Math.max(1, expected)];
        }

        void start() {
            try {
                deadline = timers.schedule(this::expire, config.bodyTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // shutting down: the server stops soon, which ends the read too
            }
            run();
        }

        private void expire() {
            if (done.compareAndSet(false, true)) {
                metrics.timedOut("body");
                ex.response.getHeaders().put(HttpHeader.CONNECTION, "close");
                ex.json(408, PredictionJson.error("the body did not arrive within "
                        + config.bodyTimeout().toMillis() / 1000.0 + " s (--body-timeout)"));
            }
        }

        @Override
        public void run() {
            while (!done.get()) {
                Content.Chunk chunk = ex.request.read();
                if (chunk == null) {
                    ex.request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    Throwable failure = chunk.getFailure();
                    chunk.release();
                    if (done.compareAndSet(false, true)) {
                        cancelDeadline();
                        if (failure instanceof TimeoutException) {
                            metrics.timedOut("body");
                            ex.response.getHeaders().put(HttpHeader.CONNECTION, "close");
                            ex.json(408, PredictionJson.error("the body stopped arriving"));
                        } else {
                            ex.abandon("body", failure);
                        }
                    }
                    return;
                }
                ByteBuffer b = chunk.getByteBuffer();
                int n = b.remaining();
                if ((long) size + n > config.maxBody()) {
                    chunk.release();
                    if (done.compareAndSet(false, true)) {
                        cancelDeadline();
                        tooLarge(ex);
                    }
                    return;
                }
                if (size + n > buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(config.maxBody(), Math.max((long) buf.length * 2,
                            size + n)));
                }
                b.get(buf, size, n);
                size += n;
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    if (done.compareAndSet(false, true)) {
                        cancelDeadline();
                        byte[] body = size == buf.length ? buf : Arrays.copyOf(buf, size);
                        buf = null;
                        predictions.execute(() -> runPrediction(ex, body));
                    }
                    return;
                }
            }
        }

        private void cancelDeadline() {
            if (deadline != null) {
                deadline.cancel(false);
            }
        }
    }

    /** On a prediction thread: waits for decoding room, decodes, waits for an inference slot, predicts, answers. */
    private void runPrediction(Exchange ex, byte[] body) {
        try {
            if (body.length == 0) {
                ex.json(400, PredictionJson.error("the request has no body: POST the image bytes"));
                return;
            }
            float[] chw;
            long cost = DecodeBudget.cost(body, model.options().maxPixels());
            try (DecodeBudget.Lease lease = budget.acquire(cost, config.decodeWait())) {
                if (lease == null) {
                    ex.response.getHeaders().put(HttpHeader.RETRY_AFTER,
                            Long.toString(Math.max(1, config.decodeWait().toSeconds())));
                    ex.json(503, PredictionJson.error("the server is busy decoding other images (this one needs about "
                            + (cost >> 20) + " MB of the " + (budget.budget() >> 20)
                            + " MB decoding budget); try again"));
                    metrics.decodeRefused();
                    return;
                }
                chw = model.preprocess(body);
            }
            inference.acquire();
            Prediction p;
            try {
                p = model.predict(chw);
            } finally {
                inference.release();
            }
            double millis = (System.nanoTime() - ex.start) / 1e6;
            ex.json(200, PredictionJson.prediction(fileName(ex.request), p, p.answer(), millis));
        } catch (BadInputException e) {
            ex.json(400, PredictionJson.error(e.getMessage()));
        } catch (EdgeException e) {
            LOG.warn("prediction failed: {}", e.getMessage());
            ex.json(500, PredictionJson.error(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ex.json(503, PredictionJson.error("the server is shutting down"));
        } catch (RuntimeException e) {
            LOG.warn("prediction failed: {}", e.toString());
            ex.json(500, PredictionJson.error("internal error: " + e.getClass().getSimpleName()));
        }
    }

    /** The {@code file} query parameter, for the JSON's {@code file} field (the request has no file name otherwise). */
    private static String fileName(Request request) {
        try {
            Fields q = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
            String f = q.getValue("file");
            return f == null ? "-" : f;
        } catch (RuntimeException e) {
            return "-";
        }
    }
}
