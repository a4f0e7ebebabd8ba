package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft serve}'s server against real HTTP clients: load without errors, 503 (not a hang) when the queue is full,
 * 413 and 400 while it keeps serving, the three GET endpoints, and a drain that lets running requests finish.
 */
class ServeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    private static EdgeModel model;
    private static List<byte[]> images;
    private static List<float[]> expected;

    @BeforeAll
    static void load() throws Exception {
        // The golden model read at 32 x 32: the server, not the network, is under test.
        model = EdgeModel.load(EdgeFixtures.writeModel(dir, "model.onnx", 32),
                EdgeOptions.builder().optDevice("cpu").optIntraOpThreads(1).build());
        images = new ArrayList<>();
        expected = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] b = EdgeFixtures.encode(EdgeFixtures.picture(60 + 20 * i, 50 + 10 * i, i), i % 2 == 0 ? "png" : "jpeg");
            images.add(b);
            float[] s = model.predict(b).scores();
            Arrays.sort(s);
            expected.add(s);
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static PredictionServer start(int threads, int queue, long maxBody) {
        return PredictionServer.start(model, new PredictionServer.Config("127.0.0.1", 0, threads, queue, maxBody));
    }

    private static URI uri(PredictionServer s, String path) {
        return URI.create("http://127.0.0.1:" + s.address().getPort() + path);
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    private static HttpResponse<String> post(HttpClient c, URI uri, byte[] body) throws Exception {
        return c.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(HttpClient c, URI uri) throws Exception {
        return c.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void twoThousandRequestsAtSixteenConnectionsWithoutAnError() throws Exception {
        PredictionServer server = start(4, 64, 10 << 20);
        HttpClient c = client();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger wrong = new AtomicInteger();
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                final int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 125; i++) {
                        int k = (thread + i) % images.size();
                        try {
                            HttpResponse<String> r = post(c, uri(server, "/predict?file=img" + k), images.get(k));
                            if (r.statusCode() != 200) {
                                errors.incrementAndGet();
                                continue;
                            }
                            JsonNode o = JSON.readTree(r.body());
                            float[] e = expected.get(k);
                            JsonNode p = o.get("predictions");
                            if (!o.get("file").asText().equals("img" + k) || p.size() != 3
                                    || (float) p.get(0).get("probability").asDouble() != e[2]
                                    || (float) p.get(2).get("probability").asDouble() != e[0]) {
                                wrong.incrementAndGet();
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("2000 requests at 16 connections: %d errors, %d wrong answers, %.1f s (%.0f requests/s)%n",
                errors.get(), wrong.get(), secs, 2000 / secs);
        assertThat(errors.get()).isZero();
        assertThat(wrong.get()).isZero();
        assertThat(server.metrics().count("/predict", 200)).isEqualTo(2000);
        String metrics = get(c, uri(server, "/metrics")).body();
        // A response reaches its client just before the server's write callback ends the exchange, so right after the
        // last answer a few exchanges may still count as in flight: the gauge must settle to this request alone.
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!metrics.contains("graft_requests_in_flight 1\n") && System.nanoTime() < settle) {
            Thread.sleep(20);
            metrics = get(c, uri(server, "/metrics")).body();
        }
        assertThat(metrics).contains("graft_requests_total{path=\"/predict\",code=\"200\"} 2000",
                "graft_predict_duration_seconds_bucket{le=\"+Inf\"} 2000", "graft_predict_duration_seconds_count 2000",
                "# TYPE graft_predict_duration_seconds histogram", "graft_requests_in_flight 1");
        assertThat(server.shutdown(Duration.ofSeconds(5))).isTrue();
    }

    /** A POST whose headers and part of whose body are sent: the server admits it and waits for the rest. */
    private static Socket startUpload(PredictionServer s, byte[] body, int sent) throws IOException {
        Socket socket = new Socket("127.0.0.1", s.address().getPort());
        socket.setSoTimeout(60_000);
        OutputStream o = socket.getOutputStream();
        o.write(("POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        o.write(body, 0, sent);
        o.flush();
        return socket;
    }

    /** Sends the rest of the body and returns the status line and body of the response. */
    private static String[] finishUpload(Socket socket, byte[] body, int sent) throws IOException {
        socket.getOutputStream().write(body, sent, body.length - sent);
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        String text = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        socket.close();
        return new String[] {head.toString().split("\r\n")[0], text};
    }

    private static void awaitFull(PredictionServer s) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (s.freePlaces() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(s.freePlaces()).isZero();
    }

    @Test
    void aFullQueueAnswers503AtOnceAndRecovers() throws Exception {
        PredictionServer server = start(1, 1, 10 << 20);
        byte[] body = images.get(0);
        int half = body.length / 2;
        Socket a = startUpload(server, body, half);
        Socket b = startUpload(server, body, half);
        awaitFull(server);
        HttpClient c = client();
        long t0 = System.nanoTime();
        HttpResponse<String> busy = post(c, uri(server, "/predict"), images.get(1));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("queue full: %d in %d ms: %s", busy.statusCode(), millis, busy.body());
        assertThat(busy.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(busy.body()).get("error").asText())
                .isEqualTo("the server is busy: 1 prediction(s) running and 1 waiting; try again");
        assertThat(millis).as("answered at once, not queued").isLessThan(5_000);
        // health checks never wait behind predictions
        assertThat(get(c, uri(server, "/health")).statusCode()).isEqualTo(200);
        // the held requests complete normally, and the server takes new work again
        assertThat(finishUpload(a, body, half)[0]).isEqualTo("HTTP/1.1 200 OK");
        assertThat(finishUpload(b, body, half)[0]).isEqualTo("HTTP/1.1 200 OK");
        assertThat(post(c, uri(server, "/predict"), images.get(1)).statusCode()).isEqualTo(200);
        assertThat(server.metrics().count("/predict", 503)).isEqualTo(1);
        server.shutdown(Duration.ofSeconds(5));
    }

    @Test
    void badRequestsAreAnsweredAndTheServerKeepsServing() throws Exception {
        PredictionServer server = start(2, 4, 64 * 1024);
        HttpClient c = client();
        byte[] big = new byte[64 * 1024 + 1];
        HttpResponse<String> tooBig = post(c, uri(server, "/predict"), big);
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(tooBig.body()).contains("over the limit of 65536 bytes");
        // without a Content-Length (chunked), the limit is enforced while reading
        HttpResponse<String> chunked = c.send(HttpRequest.newBuilder(uri(server, "/predict"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);
        byte[] png = images.get(0);
        HttpResponse<String> cut = post(c, uri(server, "/predict"), Arrays.copyOf(png, png.length / 2));
        assertThat(cut.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(cut.body()).get("error").asText()).startsWith("the image is truncated or corrupt (");
        HttpResponse<String> text = post(c, uri(server, "/predict"), "hello".getBytes(StandardCharsets.UTF_8));
        assertThat(text.statusCode()).isEqualTo(400);
        assertThat(text.body()).contains("not an image");
        assertThat(post(c, uri(server, "/predict"), new byte[0]).statusCode()).isEqualTo(400);
        assertThat(post(c, uri(server, "/predict"), pngBomb()).body()).contains("100000 x 100000 pixels");
        assertThat(get(c, uri(server, "/predict")).statusCode()).isEqualTo(405);
        assertThat(get(c, uri(server, "/nope")).statusCode()).isEqualTo(404);
        HttpResponse<String> ok = post(c, uri(server, "/predict"), png);
        assertThat(ok.statusCode()).isEqualTo(200);
        JsonNode o = JSON.readTree(ok.body());
        assertThat(o.fieldNames()).toIterable().containsExactly("file", "device", "predictions", "millis");
        assertThat(o.get("device").asText()).isEqualTo("cpu");

        HttpResponse<String> health = get(c, uri(server, "/health"));
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).get("status").asText()).isEqualTo("ok");
        JsonNode meta = JSON.readTree(get(c, uri(server, "/metadata")).body());
        assertThat(meta.get("labels").toString()).isEqualTo("[\"cat\",\"dog\",\"fish\"]");
        assertThat(meta.at("/input/height").asInt()).isEqualTo(32);
        assertThat(meta.get("task").asText()).isEqualTo("single_label");
        assertThat(meta.at("/graft/graft.arch").asText()).isEqualTo("resnet18");
        HttpResponse<String> metrics = get(c, uri(server, "/metrics"));
        assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(metrics.body()).contains("graft_requests_total{path=\"/predict\",code=\"413\"} 2",
                "graft_requests_total{path=\"/predict\",code=\"400\"} 4",
                "graft_requests_total{path=\"/predict\",code=\"405\"} 1",
                "graft_requests_total{path=\"other\",code=\"404\"} 1",
                "graft_requests_total{path=\"/predict\",code=\"200\"} 1");
        server.shutdown(Duration.ofSeconds(5));
    }

    private static byte[] pngBomb() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(25).putInt(13).put("IHDR".getBytes(StandardCharsets.US_ASCII))
                .putInt(100_000).putInt(100_000).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ihdr.array(), 4, 17);
        out.writeBytes(ihdr.array());
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return out.toByteArray();
    }

    @Test
    void shutdownLetsRunningRequestsFinishAndRefusesNewOnes() throws Exception {
        PredictionServer server = start(2, 2, 10 << 20);
        byte[] body = images.get(2);
        int half = body.length / 2;
        Socket running = startUpload(server, body, half);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (server.freePlaces() == 4 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        ExecutorService stopper = Executors.newSingleThreadExecutor();
        Future<Boolean> stopped = stopper.submit(() -> server.shutdown(Duration.ofSeconds(30)));
        Thread.sleep(200);
        assertThat(stopped).isNotDone();
        HttpClient c = client();
        assertThat(get(c, uri(server, "/health")).statusCode()).isEqualTo(503);
        assertThat(post(c, uri(server, "/predict"), images.get(0)).statusCode()).isEqualTo(503);
        String[] response = finishUpload(running, body, half);
        assertThat(response[0]).isEqualTo("HTTP/1.1 200 OK");
        assertThat(JSON.readTree(response[1]).get("predictions")).hasSize(3);
        assertThat(stopped.get(30, TimeUnit.SECONDS)).isTrue();
        stopper.shutdown();
        try (Socket s = new Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.1",
                    server.address().getPort()), 2000)).isInstanceOf(ConnectException.class);
        }
    }
}
