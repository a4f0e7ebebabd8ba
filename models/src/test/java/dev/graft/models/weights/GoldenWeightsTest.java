package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two checkpoints PyTorch itself wrote (see the shared golden/README.md): the files Graft must read. */
class GoldenWeightsTest {
    private static Path golden;
    private static JsonNode model;

    @TempDir
    Path dir;

    @BeforeAll
    static void findGoldenFiles() throws IOException {
        golden = Fixtures.golden("manifest.json").getParent();
        model = new ObjectMapper().readTree(golden.resolve("manifest.json").toFile()).get("models").get(0);
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private Path checkedFile(String manifestKey) throws IOException {
        JsonNode entry = model.get(manifestKey);
        Path file = golden.resolve(entry.get("file").asText());
        assertThat(sha256(file)).as("sha256 of %s", file).isEqualTo(entry.get("sha256").asText());
        return file;
    }

    @Test
    void fastaiCheckpoint() throws IOException {
        Path file = checkedFile("weights_fastai");
        try (TensorFile weights = SafeTensors.open(file)) {
            assertThat(weights.size()).isEqualTo(132).isEqualTo(model.get("weights_fastai").get("tensors").asInt());
            assertThat(weights.metadata()).isEmpty();
            List<String> names = weights.names();
            assertThat(names.get(0)).isEqualTo("0.0.weight");
            assertThat(names.get(names.size() - 1)).isEqualTo("1.8.weight");

            Tensor conv = weights.get("0.0.weight");
            assertThat(conv.dtype()).isEqualTo(DType.F32);
            assertThat(conv.shape()).containsExactly(64, 3, 7, 7);
            assertThat(conv.toFloatArray()).startsWith(-0.02884623408317566f, -0.009082579985260963f);

            Tensor tracked = weights.get("0.1.num_batches_tracked");
            assertThat(tracked.dtype()).isEqualTo(DType.I64);
            assertThat(tracked.shape()).isEmpty();
            assertThat(tracked.toLongArray()).containsExactly(4L); // the four calibration batches

            assertThat(weights.get("1.4.weight").shape()).containsExactly(512, 1024);
            assertThat(weights.get("1.8.weight").shape()).containsExactly(3, 512);
            assertThat(weights.get("1.2.running_var").shape()).containsExactly(1024);
            assertThat(weights.all().values()).extracting(Tensor::dtype).containsOnly(DType.F32, DType.I64);
            assertThat(names.stream().filter(n -> n.endsWith("num_batches_tracked"))).hasSize(22);
        }
    }

    @Test
    void torchvisionBodyHoldsTheSameBodyUnderTorchvisionNames() throws IOException {
        Path body = checkedFile("weights_torchvision_body");
        Path fastai = checkedFile("weights_fastai");
        try (TensorFile torchvision = SafeTensors.open(body); TensorFile whole = SafeTensors.open(fastai)) {
            assertThat(torchvision.size()).isEqualTo(120)
                    .isEqualTo(model.get("weights_torchvision_body").get("tensors").asInt());
            assertThat(torchvision.names()).startsWith("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean");
            assertThat(torchvision.get("conv1.weight").shape()).containsExactly(64, 3, 7, 7);
            assertThat(torchvision.get("layer1.0.bn1.running_mean").shape()).containsExactly(64);
            assertThat(torchvision.get("layer4.1.conv2.weight").shape()).containsExactly(512, 512, 3, 3);
            assertThat(torchvision.names()).noneMatch(n -> n.startsWith("fc."));

            // same weights, same order: the fastai body is the first 120 tensors
            List<String> wholeNames = whole.names();
            List<String> bodyNames = torchvision.names();
            for (int i = 0; i < bodyNames.size(); i++) {
                assertThat(whole.get(wholeNames.get(i))).as("%s vs %s", wholeNames.get(i), bodyNames.get(i))
                        .isEqualTo(torchvision.get(bodyNames.get(i)));
            }
        }
    }

    @Test
    void rewritingReproducesPyTorchsFilesExactly() throws IOException {
        for (String key : List.of("weights_fastai", "weights_torchvision_body")) {
            Path original = checkedFile(key);
            Path copy = dir.resolve(original.getFileName());
            Map<String, Tensor> tensors;
            try (TensorFile weights = SafeTensors.open(original)) {
                tensors = weights.all();
                SafeTensors.write(copy, tensors, weights.metadata());
            }
            try (TensorFile reread = SafeTensors.open(copy)) {
                assertThat(reread.all()).isEqualTo(tensors);
                assertThat(reread.names()).containsExactlyElementsOf(tensors.keySet());
            }
            // same key order, compact JSON and space padding as the reference writer: byte for byte the same file
            assertThat(sha256(copy)).as(key).isEqualTo(model.get(key).get("sha256").asText());
        }
    }
}
