package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * graft serve tells the client's fault from the model's: an image it cannot use is 400, a failure inside ONNX Runtime
 * on a good image is 500 (the operator must look at the model, the client cannot fix it). A real model whose graph
 * was baked for batches of two, real images, a real server on loopback.
 */
class ServeFaultTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static HttpResponse<String> post(HttpClient c, URI uri, byte[] body) throws Exception {
        return c.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anEngineFaultIs500AndABadImageIs400() throws Exception {
        Path file = EdgeFixtures.writeModelBakedForTwo(dir, "baked.onnx");
        byte[] png = EdgeFixtures.encode(EdgeFixtures.picture(60, 50, 1), "png");
        try (EdgeModel model = EdgeModel.load(file, EdgeOptions.builder().optDevice("cpu").build())) {
            PredictionServer server = PredictionServer.start(model,
                    new PredictionServer.Config("127.0.0.1", 0, 1, 4, 1 << 20));
            try {
                URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + "/predict");
                HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10)).build();
                HttpResponse<String> engine = post(c, uri, png);
                assertThat(engine.statusCode()).isEqualTo(500);
                assertThat(JSON.readTree(engine.body()).get("error").asText())
                        .startsWith("ONNX Runtime failed running a batch of shape [1, 3, 64, 64]: ");
                HttpResponse<String> cut = post(c, uri, Arrays.copyOf(png, png.length / 2));
                assertThat(cut.statusCode()).isEqualTo(400);
                assertThat(JSON.readTree(cut.body()).get("error").asText())
                        .startsWith("the image is truncated or corrupt (");
                // the server is still up after both
                assertThat(post(c, uri, png).statusCode()).isEqualTo(500);
            } finally {
                server.shutdown(Duration.ofSeconds(5));
            }
        }
    }
}
