package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft serve}'s server against slow, silent and vanishing clients on real loopback sockets: clients that never
 * finish their headers, clients that never send their body, clients that leave mid-upload. Each costs one connection
 * for a bounded time; {@code /health} answers throughout and {@code /predict} recovers by itself.
 */
@Timeout(120)
class ServeSlowClientTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofMillis(3000);
    private static final Duration BODY_TIMEOUT = Duration.ofMillis(4000);
    @TempDir
    static Path dir;
    private static EdgeModel model;
    private static byte[] image;
    private final List<Socket> sockets = new ArrayList<>();
    private PredictionServer server;

    @BeforeAll
    static void load() throws Exception {
        model = EdgeModel.load(EdgeFixtures.writeModel(dir, "model.onnx", 32),
                EdgeOptions.builder().optDevice("cpu").optIntraOpThreads(1).build());
        image = EdgeFixtures.encode(EdgeFixtures.picture(80, 60, 3), "png");
        model.predict(image); // the runtime's first run is slow: keep it out of the timed answers
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.shutdown(Duration.ofSeconds(5));
        }
    }

    private PredictionServer start(int threads, int queue) {
        server = PredictionServer.start(model, new PredictionServer.Config("127.0.0.1", 0, threads, queue, 10 << 20)
                .withTimeouts(HEADER_TIMEOUT, BODY_TIMEOUT));
        return server;
    }

    private Socket open(String sent) throws IOException {
        Socket s = new Socket("127.0.0.1", server.address().getPort());
        sockets.add(s);
        s.setSoTimeout(20_000);
        OutputStream o = s.getOutputStream();
        o.write(sent.getBytes(StandardCharsets.US_ASCII));
        o.flush();
        return s;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.address().getPort() + path);
    }

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> predict() throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri("/predict")).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Everything the server sends on {@code s} until it closes the connection, or what came before our timeout. */
    private static String readToClose(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        try {
            int c;
            while ((c = in.read()) >= 0) {
                b.append((char) c);
            }
        } catch (SocketTimeoutException e) {
            b.append("<still open>");
        } catch (IOException e) {
            b.append("<reset>");
        }
        return b.toString();
    }

    private static void await(BooleanSupplier condition, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    void unfinishedHeadersCostAConnectionForTheHeaderTimeoutAndNeverFreezeTheServer() throws Exception {
        start(2, 64);
        // More than the old server's 70 handler threads, each with about 35 bytes of a header block and no end.
        long t0 = System.nanoTime();
        for (int i = 0; i < 80; i++) {
            open("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Ty");
        }
        await(() -> server.openConnections() >= 80, Duration.ofSeconds(5));
        assertThat(server.openConnections()).isGreaterThanOrEqualTo(80);
        long h0 = System.nanoTime();
        HttpResponse<String> health = get("/health");
        long healthMillis = (System.nanoTime() - h0) / 1_000_000;
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(predict().statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("answered while the slow clients were still connected")
                .isLessThan(HEADER_TIMEOUT.toMillis());
        // every slow connection is closed by the server after the header timeout, without an answer
        for (Socket s : sockets) {
            assertThat(readToClose(s)).isIn("", "<reset>");
        }
        long closedAfter = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("80 unfinished header blocks: /health in %d ms meanwhile, all closed after %d ms%n",
                healthMillis, closedAfter);
        assertThat(closedAfter).isBetween(HEADER_TIMEOUT.toMillis() - 100, HEADER_TIMEOUT.toMillis() + 5_000);
        await(() -> server.metrics().timeouts("headers") >= 80, Duration.ofSeconds(2));
        assertThat(server.metrics().timeouts("headers")).isEqualTo(80);
        String metrics = get("/metrics").body();
        assertThat(metrics).contains("graft_client_timeouts_total{phase=\"headers\"} 80",
                "graft_requests_total{path=\"/predict\",code=\"200\"} 1").doesNotContain("code=\"500\"");
    }

    @Test
    void silentBodiesTimeOutWith408AndFreeTheirPlaces() throws Exception {
        start(1, 5);
        String headers = "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: " + image.length + "\r\n\r\n";
        long t0 = System.nanoTime();
        List<Socket> silent = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            silent.add(open(headers));
        }
        await(() -> server.freePlaces() == 0, Duration.ofSeconds(5));
        assertThat(server.freePlaces()).isZero();
        // the queue is full of silent uploads: predictions are refused at once, health still answers
        HttpResponse<String> busy = predict();
        assertThat(busy.statusCode()).isEqualTo(503);
        assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(get("/health").statusCode()).isEqualTo(200);
        for (Socket s : silent) {
            String response = readToClose(s);
            assertThat(response).startsWith("HTTP/1.1 408 ").contains("--body-timeout").doesNotContain("<still open>");
        }
        long freedAfter = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("6 silent bodies: 408 and closed after %d ms%n", freedAfter);
        assertThat(freedAfter).isBetween(BODY_TIMEOUT.toMillis() - 100, BODY_TIMEOUT.toMillis() + 5_000);
        await(() -> server.freePlaces() == 6, Duration.ofSeconds(2));
        assertThat(server.freePlaces()).isEqualTo(6);
        assertThat(predict().statusCode()).isEqualTo(200);
        assertThat(server.metrics().timeouts("body")).isEqualTo(6);
        assertThat(server.metrics().count("/predict", 408)).isEqualTo(6);
    }

    @Test
    void aTrickledBodyIsCutOffAtTheBodyTimeoutEvenThoughBytesKeepComing() throws Exception {
        start(1, 1);
        Socket s = open("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: " + image.length + "\r\n\r\n");
        OutputStream o = s.getOutputStream();
        long t0 = System.nanoTime();
        int sent = 0;
        try {
            // one byte every 100 ms: never idle, never done
            while (sent < image.length && (System.nanoTime() - t0) / 1_000_000 < BODY_TIMEOUT.toMillis() + 3_000) {
                o.write(image[sent++]);
                o.flush();
                Thread.sleep(100);
            }
        } catch (IOException closedByServer) {
            // expected once the deadline has passed
        }
        String response = readToClose(s);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(response).startsWith("HTTP/1.1 408 ");
        assertThat(millis).isLessThan(BODY_TIMEOUT.toMillis() + 3_000);
        assertThat(server.freePlaces()).isEqualTo(2);
    }

    @Test
    void clientsThatLeaveAreCountedAsDisconnectsNotAsErrors() throws Exception {
        start(1, 4);
        for (int i = 0; i < 5; i++) {
            Socket s = open("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: " + image.length + "\r\n\r\n");
            s.getOutputStream().write(image, 0, image.length / 2);
            s.getOutputStream().flush();
            await(() -> server.freePlaces() < 5, Duration.ofSeconds(5));
            s.close();
        }
        await(() -> server.metrics().disconnects("body") >= 5, Duration.ofSeconds(5));
        assertThat(server.metrics().disconnects("body")).isEqualTo(5);
        await(() -> server.freePlaces() == 5, Duration.ofSeconds(5));
        assertThat(server.freePlaces()).isEqualTo(5);
        String metrics = get("/metrics").body();
        assertThat(metrics).contains("graft_client_disconnects_total{phase=\"body\"} 5")
                .doesNotContain("code=\"500\"");
        assertThat(predict().statusCode()).isEqualTo(200);
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAsIdle() throws Exception {
        start(1, 1);
        Socket s = open("");
        long t0 = System.nanoTime();
        assertThat(readToClose(s)).isIn("", "<reset>");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(HEADER_TIMEOUT.toMillis() + 5_000);
        assertThat(server.metrics().timeouts("headers")).isZero();
        assertThat(get("/metrics").body()).contains("graft_idle_connections_closed_total 1");
    }
}
