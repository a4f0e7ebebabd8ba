package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
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

    /** The golden model with its output reshaped to a constant [2, 3]: any single image fails inside the engine. */
    private static byte[] bakedForTwo() throws Exception {
        ModelProto.Builder b = ModelProto.parseFrom(EdgeFixtures.goldenModel()).toBuilder();
        GraphProto.Builder g = b.getGraphBuilder();
        String out = g.getOutput(0).getName();
        for (NodeProto.Builder node : g.getNodeBuilderList()) {
            for (int i = 0; i < node.getOutputCount(); i++) {
                if (node.getOutput(i).equals(out)) {
                    node.setOutput(i, out + "_before_reshape");
                }
            }
        }
        g.addInitializer(TensorProto.newBuilder().setName("baked_shape").setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(2).addInt64Data(2).addInt64Data(3));
        g.addNode(NodeProto.newBuilder().setOpType("Reshape").addInput(out + "_before_reshape").addInput("baked_shape")
                .addOutput(out));
        return b.build().toByteArray();
    }

    private static HttpResponse<String> post(HttpClient c, URI uri, byte[] body) throws Exception {
        return c.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anEngineFaultIs500AndABadImageIs400() throws Exception {
        Path file = Files.write(dir.resolve("baked.onnx"), bakedForTwo());
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
