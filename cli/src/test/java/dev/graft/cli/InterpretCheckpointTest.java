package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.Item;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft interpret --checkpoint}: the trained model before export, on the run's own validation split (the
 * recorded data, seed and share), and the same figures as the exported model on the same images.
 */
class InterpretCheckpointTest {
    @Test
    void theRunsOwnValidationSplitAndTheSameFiguresAsTheExport(@TempDir Path dir) throws Exception {
        Path shapes = dir.resolve("shapes");
        SyntheticDataset.generate(shapes, 3, 32, 12, false, 3);
        Path data = shapes.resolve("train"); // class folders: the run splits them at random
        Path run = dir.resolve("run");
        var t = SummaryCommandTest.graft("train", "--data", data.toString(), "--arch", "resnet18", "--size", "32",
                "--batch", "8", "--epochs", "1", "--valid-pct", "0.25", "--out", run.toString(), "--no-progress");
        assertThat(t.code()).as(t.err()).isZero();

        Path json = dir.resolve("ckpt.json");
        var r = SummaryCommandTest.graft("interpret", "--checkpoint", run.toString(), "--report",
                dir.resolve("ckpt.html").toString(), "--json", json.toString(), "--top-losses", "1000", "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        Set<String> valid = ImageDataset.fromFolders(data, 0.25, 42).valid().stream().map(Item::path)
                .map(Path::toString).collect(Collectors.toSet());
        assertThat(j.get("images").asInt()).isEqualTo(valid.size());
        for (JsonNode loss : j.get("top_losses")) {
            assertThat(valid).contains(loss.get("file").asText());
        }

        Path onnx = dir.resolve("model.onnx");
        var e = SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--out", onnx.toString());
        assertThat(e.code()).as(e.err()).isZero();
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.json");
        var trained = SummaryCommandTest.graft("interpret", "--checkpoint", run.toString(), "--data", shapes.toString(),
                "--report", dir.resolve("a.html").toString(), "--json", a.toString(), "--no-progress");
        var exported = SummaryCommandTest.graft("interpret", onnx.toString(), "--data", shapes.toString(), "--report",
                dir.resolve("b.html").toString(), "--json", b.toString(), "--no-progress", "--device", "cpu");
        assertThat(trained.code()).as(trained.err()).isZero();
        assertThat(exported.code()).as(exported.err()).isZero();
        JsonNode ja = new ObjectMapper().readTree(a.toFile());
        JsonNode jb = new ObjectMapper().readTree(b.toFile());
        assertThat(ja.get("images").asInt()).isEqualTo(ImageDataset.fromFolders(shapes).valid().size()); // shapes/valid
        assertThat(ja.get("confusion_matrix")).isEqualTo(jb.get("confusion_matrix"));
        assertThat(ja.get("mean_loss").asDouble()).isCloseTo(jb.get("mean_loss").asDouble(),
                org.assertj.core.api.Assertions.within(1e-4));

        var both = SummaryCommandTest.graft("interpret", onnx.toString(), "--checkpoint", run.toString());
        assertThat(both.code()).isEqualTo(1);
        assertThat(both.err()).contains("either MODEL or --checkpoint");
    }
}
