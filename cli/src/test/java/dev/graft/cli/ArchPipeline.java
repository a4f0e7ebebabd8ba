package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every command after {@code train} on one architecture, as a user runs them: one epoch on a tiny synthetic set (speed,
 * not accuracy: the learner tests have the accuracy), {@code export} with its proof, {@code export --quantize int8}
 * with its integer-kernel report, and {@code predict} from both files. Each family's command test runs it for its
 * members.
 */
final class ArchPipeline {
    private ArchPipeline() {
    }

    static void trainExportQuantisePredict(String arch, int size, Path dir) throws Exception {
        Path data = dir.resolve("shapes");
        SyntheticDataset.generate(data, 3, size, 6, false, 11); // 5 training and 1 validation image per class
        Path run = dir.resolve("run");
        var train = SummaryCommandTest.graft("train", "--data", data.toString(), "--arch", arch, "--size",
            Integer.toString(size), "--batch", "8", "--epochs", "1", "--out", run.toString(), "--no-progress");
        assertThat(train.code()).as(train.err()).isZero();
        assertThat(train.out()).contains(arch, "checkpoint: " + run, "validation accuracy: ");

        Path fp32 = dir.resolve("m.onnx");
        var export = SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--out", fp32.toString());
        assertThat(export.code()).as(export.err()).isZero();
        assertThat(export.out()).contains("parity: largest |difference| from the trained DJL model");
        Path int8 = dir.resolve("m-int8.onnx");
        var quantise = SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--quantize", "int8",
            "--calibration", data.resolve("train").toString(), "--calibration-count", "8", "--out", int8.toString());
        assertThat(quantise.code()).as(quantise.err()).isZero();
        assertThat(quantise.out()).contains("int8: qdq", "integer kernels: ", "wrote " + int8);
        quantise.out().lines().filter(l -> l.contains("integer kernels")).forEach(l -> System.out.println(arch + " " + l.trim()));
        assertThat(Files.size(int8)).isLessThan(Files.size(fp32));

        List<String> images;
        try (var files = Files.walk(data.resolve("valid"))) {
            images = files.filter(f -> f.toString().endsWith(".png")).map(Path::toString).sorted().toList();
        }
        for (Path model : List.of(fp32, int8)) {
            List<String> args = new ArrayList<>(List.of("predict", model.toString()));
            args.addAll(images);
            args.add("--json");
            var predict = SummaryCommandTest.graft(args.toArray(String[]::new));
            assertThat(predict.code()).as(predict.err()).isZero();
            for (String line : predict.out().lines().toList()) {
                JsonNode o = new ObjectMapper().readTree(line);
                assertThat(o.get("predictions")).hasSize(3);
                assertThat(o.at("/predictions/0/label").asText()).isIn("circle", "square", "triangle");
            }
        }
    }
}
