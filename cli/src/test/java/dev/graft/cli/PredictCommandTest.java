package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft predict}: one line (or JSON object) per image, the model's own numbers, bad input as one line. */
class PredictCommandTest {

    @Test
    void oneLinePerImageAndJsonWithTheModelsNumbers(@TempDir Path dir) throws Exception {
        Path model = EdgeFixtures.writeModel(dir, "model.onnx", null);
        Path a = dir.resolve("a.png");
        Path b = dir.resolve("b.jpg");
        Files.write(a, EdgeFixtures.encode(EdgeFixtures.picture(120, 90, 1), "png"));
        Files.write(b, EdgeFixtures.encode(EdgeFixtures.picture(64, 80, 2), "jpeg"));

        var text = SummaryCommandTest.graft("predict", model.toString(), a.toString(), b.toString(), "--device", "cpu");
        assertThat(text.code()).as(text.err()).isZero();
        String[] lines = text.out().split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).matches(java.util.regex.Pattern.quote(a.toString())
                + ": (cat|dog|fish) 0\\.\\d{4}, (cat|dog|fish) 0\\.\\d{4}, (cat|dog|fish) 0\\.\\d{4}");
        assertThat(lines[1]).startsWith(b + ": ");
        var top1 = SummaryCommandTest.graft("predict", model.toString(), a.toString(), "--top", "1");
        assertThat(top1.out().trim()).matches(".*: (cat|dog|fish) 0\\.\\d{4}");

        var json = SummaryCommandTest.graft("predict", model.toString(), a.toString(), b.toString(), "--json",
                "--device", "cpu");
        assertThat(json.code()).as(json.err()).isZero();
        String[] objects = json.out().split("\n");
        assertThat(objects).hasSize(2);
        try (EdgeModel direct = EdgeModel.load(model, EdgeOptions.builder().optDevice("cpu").build())) {
            for (int i = 0; i < 2; i++) {
                JsonNode o = new ObjectMapper().readTree(objects[i]);
                Path image = i == 0 ? a : b;
                assertThat(o.get("file").asText()).isEqualTo(image.toString());
                assertThat(o.get("device").asText()).isEqualTo("cpu");
                assertThat(o.get("millis").asDouble()).isPositive();
                float[] scores = direct.predict(image).scores();
                float[] sorted = scores.clone();
                Arrays.sort(sorted);
                JsonNode preds = o.get("predictions");
                assertThat(preds).hasSize(3);
                for (int k = 0; k < 3; k++) {
                    assertThat(preds.get(k).fieldNames()).toIterable().containsExactly("label", "probability");
                    assertThat((float) preds.get(k).get("probability").asDouble()).isEqualTo(sorted[2 - k]);
                }
            }
        }
    }

    @Test
    void aBadImageIsOneLineAndTheOthersAreStillPredicted(@TempDir Path dir) throws Exception {
        Path model = EdgeFixtures.writeModel(dir, "model.onnx", null);
        Path good = dir.resolve("good.png");
        Files.write(good, EdgeFixtures.encode(EdgeFixtures.picture(50, 50, 3), "png"));
        Path cut = dir.resolve("cut.png");
        byte[] png = EdgeFixtures.encode(EdgeFixtures.picture(50, 50, 4), "png");
        Files.write(cut, Arrays.copyOf(png, png.length / 2));
        Path empty = dir.resolve("empty.jpg");
        Files.write(empty, new byte[0]);
        var r = SummaryCommandTest.graft("predict", model.toString(), cut.toString(), good.toString(), empty.toString(),
                dir.resolve("missing.png").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out().split("\n")).singleElement().asString().startsWith(good + ": ");
        assertThat(r.err()).contains("graft: " + cut + ": the image is truncated or corrupt (",
                "graft: " + empty + ": the image is empty (0 bytes)",
                "graft: cannot read " + dir.resolve("missing.png") + ": no such file").doesNotContain("\tat ");
    }

    @Test
    void badModelsAndOptionsAreOneLine(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("x.png");
        Files.write(image, EdgeFixtures.encode(EdgeFixtures.picture(30, 30, 5), "png"));
        Path notOnnx = dir.resolve("m.onnx");
        Files.writeString(notOnnx, "not a model");
        var r = SummaryCommandTest.graft("predict", notOnnx.toString(), image.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("graft: " + notOnnx + " is not an ONNX model").hasLineCount(1);
        Path model = EdgeFixtures.writeModel(dir, "model.onnx", null);
        var device = SummaryCommandTest.graft("predict", model.toString(), image.toString(), "--device", "tpu");
        assertThat(device.code()).isEqualTo(1);
        assertThat(device.err()).isEqualTo("graft: unknown device 'tpu'; use auto, cpu, cuda or cuda:N\n");
        var top = SummaryCommandTest.graft("predict", model.toString(), image.toString(), "--top", "0");
        assertThat(top.code()).isEqualTo(1);
        var none = SummaryCommandTest.graft("predict", model.toString());
        assertThat(none.code()).isEqualTo(2);
    }

    @Test
    void notesSayWhatWasAssumedAndWhereItRan(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("x.png");
        Files.write(image, EdgeFixtures.encode(EdgeFixtures.picture(30, 30, 6), "png"));
        Path plain = EdgeFixtures.writeModelWithoutMetadata(dir);
        var logged = new java.io.ByteArrayOutputStream();
        var r = withSystemErr(logged, () -> SummaryCommandTest.graft("predict", plain.toString(), image.toString(),
                "--device", "cpu"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).startsWith("graft: note: the model has no Graft metadata (graft.*): assuming RGB input");
        assertThat(r.err().split("no Graft metadata", -1)).as("the note once").hasSize(2);
        assertThat(logged.toString(java.nio.charset.StandardCharsets.UTF_8)).as("and not again in the log")
                .doesNotContain("no Graft metadata");
        assertThat(r.out().trim()).matches(".*: [012] [01]\\.\\d{4}, [012] [01]\\.\\d{4}, [012] [01]\\.\\d{4}");
        Path model = EdgeFixtures.writeModel(dir, "model.onnx", null);
        var cudaLog = new java.io.ByteArrayOutputStream();
        var cuda = withSystemErr(cudaLog, () -> SummaryCommandTest.graft("predict", model.toString(),
                image.toString(), "--device", "cuda", "--json"));
        assertThat(cuda.code()).as(cuda.err()).isZero();
        assertThat(cudaLog.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("requested but");
        assertThat(new ObjectMapper().readTree(cuda.out()).get("device").asText()).isEqualTo("cpu");
        assertThat(cuda.err()).contains("graft: note: device cuda:0 requested but this ONNX Runtime build has no CUDA"
                + " provider");
        var auto = SummaryCommandTest.graft("predict", model.toString(), image.toString());
        assertThat(auto.code()).isZero();
        assertThat(auto.err()).as("auto on a machine without CUDA is not news").doesNotContain("note");
    }

    @Test
    void aModelThatComputesNanIsAnErrorNotAnAnswer(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("x.png");
        Files.write(image, EdgeFixtures.encode(EdgeFixtures.picture(30, 30, 7), "png"));
        for (float factor : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Path model = EdgeFixtures.writeModelTimes(dir, "broken.onnx", factor);
            var json = SummaryCommandTest.graft("predict", model.toString(), image.toString(), "--json", "--device",
                    "cpu");
            assertThat(json.code()).isEqualTo(1);
            assertThat(json.out()).as("no JSON with a non-number in it").isEmpty();
            assertThat(json.err().trim()).isEqualTo("graft: " + model + " computed " + factor
                    + " for output 0; a non-finite output is no prediction (the model's weights or its arithmetic"
                    + " overflowed)");
        }
    }

    /** Runs {@code body} with {@code System.err} (where SLF4J's simple logger writes) going to {@code sink}. */
    static <T> T withSystemErr(java.io.OutputStream sink, java.util.function.Supplier<T> body) {
        java.io.PrintStream saved = System.err;
        System.setErr(new java.io.PrintStream(sink, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            return body.get();
        } finally {
            System.setErr(saved);
        }
    }
}
