package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft interpret} on the real exported golden resnet18 (cat, dog, fish) through runtime-edge: its numbers equal
 * the model's own predictions image by image, a broken image is listed and not fatal, and bad input is one line.
 */
class InterpretCommandTest {
    private static final List<String> CLASSES = List.of("cat", "dog", "fish");

    private static Path folder(Path root, int perClass) throws Exception {
        for (int c = 0; c < CLASSES.size(); c++) {
            Path dir = Files.createDirectories(root.resolve(CLASSES.get(c)));
            for (int i = 0; i < perClass; i++) {
                Files.write(dir.resolve("img" + i + ".png"),
                        EdgeFixtures.encode(EdgeFixtures.picture(64 + i, 60 + c, c * 100 + i), "png"));
            }
        }
        return root;
    }

    @Test
    void numbersEqualTheModelsOwnPredictionsAndABrokenImageIsListed(@TempDir Path tmp) throws Exception {
        Path model = EdgeFixtures.writeModel(tmp, "model.onnx", null);
        Path data = folder(tmp.resolve("data"), 4);
        byte[] png = EdgeFixtures.encode(EdgeFixtures.picture(50, 50, 9), "png");
        Path broken = data.resolve("dog/broken.png");
        Files.write(broken, Arrays.copyOf(png, png.length / 2));
        Path report = tmp.resolve("interp.html");
        Path json = tmp.resolve("interp.json");
        Path csv = tmp.resolve("interp.csv");
        var r = SummaryCommandTest.graft("interpret", model.toString(), "--data", data.toString(), "--report",
                report.toString(), "--json", json.toString(), "--csv", csv.toString(), "--top-losses", "5",
                "--device", "cpu", "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("12 images: accuracy", "wrote " + report);
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertThat(j.get("images").asInt()).isEqualTo(12);
        assertThat(j.get("unreadable_count").asInt()).isEqualTo(1);
        assertThat(j.get("unreadable").get(0).get("file").asText()).isEqualTo(broken.toString());
        long[][] expected = new long[3][3];
        double worst = 0;
        try (EdgeModel m = EdgeModel.load(model, EdgeOptions.builder().optDevice("cpu").build())) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 4; i++) {
                    float[] p = m.predict(data.resolve(CLASSES.get(c)).resolve("img" + i + ".png")).scores();
                    int best = 0;
                    for (int k = 1; k < 3; k++) {
                        best = p[k] > p[best] ? k : best;
                    }
                    expected[c][best]++;
                    worst = Math.max(worst, -Math.log(Math.max(p[c], 1e-12)));
                }
            }
        }
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                assertThat(j.get("confusion_matrix").get(a).get(b).asLong()).isEqualTo(expected[a][b]);
            }
        }
        assertThat(j.get("top_losses")).hasSize(5);
        assertThat(j.get("top_losses").get(0).get("loss").asDouble()).isCloseTo(worst,
                org.assertj.core.api.Assertions.within(worst * 1e-6));
        String html = Files.readString(report);
        assertThat(html).contains("<svg", "class=\"chart confusion-counts", "class=\"chart reliability",
                "data:image/jpeg;base64,", "Unreadable images (1)").doesNotContain("http://", "https://", "<script");
        assertThat(Files.readAllLines(csv).get(0)).isEqualTo("class,precision,recall,f1-score,support");
    }

    @Test
    void badInputIsOneLine(@TempDir Path tmp) throws Exception {
        Path model = EdgeFixtures.writeModel(tmp, "model.onnx", null);
        Path data = folder(tmp.resolve("data"), 1);
        Path report = tmp.resolve("r.html");

        var missing = SummaryCommandTest.graft("interpret", model.toString(), "--data", tmp.resolve("nope").toString(),
                "--report", report.toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err().strip()).isEqualTo("graft: data not found: " + tmp.resolve("nope"));

        Files.createDirectories(data.resolve("zebra"));
        Files.write(data.resolve("zebra/z.png"), EdgeFixtures.encode(EdgeFixtures.picture(40, 40, 1), "png"));
        var lacks = SummaryCommandTest.graft("interpret", model.toString(), "--data", data.toString(), "--report",
                report.toString(), "--no-progress");
        assertThat(lacks.code()).isEqualTo(1);
        assertThat(lacks.err().strip().split("\n")).singleElement().asString()
                .contains("has class zebra that the model lacks");
        assertThat(report).doesNotExist();

        Files.createDirectories(tmp.resolve("adir"));
        var dirReport = SummaryCommandTest.graft("interpret", model.toString(), "--data", data.toString(), "--report",
                tmp.resolve("adir").toString());
        assertThat(dirReport.code()).isEqualTo(1);
        assertThat(dirReport.err().strip().split("\n")).singleElement().asString().startsWith("graft: ");

        var same = SummaryCommandTest.graft("interpret", model.toString(), "--data", data.toString(), "--report",
                model.toString());
        assertThat(same.code()).isEqualTo(1);
        assertThat(same.err()).doesNotContain("\tat ");
        assertThat(Files.size(model)).isPositive();

        var twice = SummaryCommandTest.graft("interpret", model.toString(), "--data", data.toString(), "--report",
                report.toString(), "--json", report.toString());
        assertThat(twice.code()).isEqualTo(1);
        assertThat(twice.err()).contains("must name different files");
    }
}
