package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoding budget of {@code graft serve}: costs read from real image headers, waiting and refusal, small images
 * going ahead of a large one that waits, and an image larger than the whole budget decoding alone.
 */
@Timeout(120)
class DecodeBudgetTest {
    private static final long MAX = dev.graft.image.ImageDecoder.DEFAULT_MAX_PIXELS;

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, format, out)).isTrue();
        return out.toByteArray();
    }

    @Test
    void theCostComesFromTheHeaderBeforeAnyPixelIsDecoded() throws Exception {
        byte[] rgb = encode(new BufferedImage(3000, 2000, BufferedImage.TYPE_3BYTE_BGR), "png");
        byte[] argb = encode(new BufferedImage(1000, 1000, BufferedImage.TYPE_INT_ARGB), "png");
        byte[] grey = encode(new BufferedImage(2000, 1000, BufferedImage.TYPE_BYTE_GRAY), "jpeg");
        System.out.printf("3000 x 2000 RGB PNG of %d bytes costs %d bytes to decode%n", rgb.length,
                DecodeBudget.cost(rgb, MAX));
        assertThat(DecodeBudget.cost(rgb, MAX)).isEqualTo(3000L * 2000 * (3 + 4));
        assertThat(DecodeBudget.cost(argb, MAX)).isEqualTo(1000L * 1000 * (4 + 4));
        assertThat(DecodeBudget.cost(grey, MAX)).isEqualTo(2000L * 1000 * (1 + 4));
        assertThat(DecodeBudget.cost("hello".getBytes(), MAX)).isEqualTo(256 << 10);
        assertThat(DecodeBudget.cost(new byte[0], MAX)).isEqualTo(256 << 10);
        // over the decoder's pixel limit: refused from the header, so it must not wait for room
        assertThat(DecodeBudget.cost(rgb, 1_000_000)).isEqualTo(256 << 10);
    }

    @Test
    void smallImagesGoAheadOfALargeOneWaitingForRoom() throws Exception {
        DecodeBudget budget = new DecodeBudget(64L << 20);
        DecodeBudget.Lease first = budget.acquire(48L << 20, Duration.ZERO);
        assertThat(first).isNotNull();
        assertThat(budget.inUse()).isEqualTo(48L << 20);
        // a large one does not fit and waits; its wait runs out
        long t0 = System.nanoTime();
        assertThat(budget.acquire(32L << 20, Duration.ofMillis(200))).isNull();
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(150L, 10_000L);
        // while another large one waits, a small one that fits goes at once
        CompletableFuture<DecodeBudget.Lease> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return budget.acquire(32L << 20, Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        DecodeBudget.Lease small = budget.acquire(1L << 20, Duration.ZERO);
        assertThat(small).isNotNull();
        assertThat(waiting).isNotDone();
        small.close();
        first.close();
        DecodeBudget.Lease second = waiting.get(10, TimeUnit.SECONDS);
        assertThat(second).isNotNull();
        assertThat(budget.inUse()).isEqualTo(32L << 20);
        second.close();
        second.close(); // harmless
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void anImageOverTheWholeBudgetDecodesAlone() throws Exception {
        DecodeBudget budget = new DecodeBudget(16L << 20);
        DecodeBudget.Lease small = budget.acquire(1L << 20, Duration.ZERO);
        assertThat(budget.acquire(100L << 20, Duration.ofMillis(100))).as("waits for the others").isNull();
        small.close();
        DecodeBudget.Lease huge = budget.acquire(100L << 20, Duration.ZERO);
        assertThat(huge).isNotNull();
        assertThat(budget.inUse()).isEqualTo(16L << 20);
        assertThat(budget.acquire(1L << 20, Duration.ofMillis(50))).as("nothing beside it").isNull();
        huge.close();
    }

    @Test
    void theServerPredictsAnImageOverItsBudgetAndCountsItsGauges(@TempDir Path dir) throws Exception {
        try (EdgeModel model = EdgeModel.load(EdgeFixtures.writeModel(dir, "model.onnx", 32),
                EdgeOptions.builder().optDevice("cpu").optIntraOpThreads(1).build())) {
            PredictionServer server = PredictionServer.start(model, new PredictionServer.Config("127.0.0.1", 0, 1, 4,
                    10 << 20).withDecodeBudget(1 << 20, Duration.ZERO));
            try {
                byte[] png = EdgeFixtures.encode(EdgeFixtures.picture(1000, 800, 5), "png"); // about 8 MB to decode
                assertThat(DecodeBudget.cost(png, MAX)).isGreaterThan(1 << 20);
                HttpClient c = HttpClient.newHttpClient();
                URI base = URI.create("http://127.0.0.1:" + server.address().getPort());
                HttpResponse<String> r = c.send(HttpRequest.newBuilder(base.resolve("/predict"))
                        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                String metrics = c.send(HttpRequest.newBuilder(base.resolve("/metrics")).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("graft_decode_budget_bytes 1048576", "graft_decode_in_use_bytes 0",
                        "graft_decode_refused_total 0");
            } finally {
                server.shutdown(Duration.ofSeconds(5));
            }
        }
    }
}
