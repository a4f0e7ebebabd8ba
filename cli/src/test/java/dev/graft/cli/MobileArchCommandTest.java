package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --arch mobilenet_v2 | mobilenet_v3_large | mobilenet_v3_small | efficientnet_b0} through the commands. */
class MobileArchCommandTest {

    @Test
    void summaryOfMobilenetV2ShowsFeaturesAsTheBodyAndTheDoubledHead() {
        var r = SummaryCommandTest.graft("summary", "--arch", "mobilenet_v2", "--classes", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("BODY: mobilenet_v2 cut at features.18.2", "HEAD: added by Graft",
            "Conv2d(144, 144, k=3, s=2, p=1, groups=144)", "ReLU6", "Add (residual)",
            "The head takes 2560 features = 2 x 1280",
            "body         2,223,872 params",
            "0 body.0 = features.0, features.1", "1 body.1 = features.7, features.8");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "mobilenet_v2, 2223872, 1280",
        "mobilenet_v3_large, 2971952, 960",
        "mobilenet_v3_small, 927008, 576",
        "efficientnet_b0, 4007548, 1280",
    })
    void summaryJsonGivesTheBodyCountAndChannels(String arch, long body, int channels) throws Exception {
        var r = SummaryCommandTest.graft("summary", "--arch", arch, "--classes", "10", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.at("/body/params").asLong()).isEqualTo(body);
        assertThat(json.at("/head/explanation").asText()).contains((2 * channels) + " features");
        assertThat(json.get("groups").size()).isEqualTo(3);
    }

    @Test
    void aTorchvisionBodyFileFitsThePretrainedCheck(@TempDir Path dir) {
        // a whole torchvision state dict (classifier included) as the pretrained body: the classifier is ignored
        Network whole = VisionModel.torchvision("mobilenet_v3_small", 1000);
        Path file = dir.resolve("tv.safetensors");
        SafeTensors.write(file, Initializer.init(whole, 1), Map.of());
        var r = SummaryCommandTest.graft("summary", "--arch", "mobilenet_v3_small", "--classes", "2", "--n-in", "1",
            "--pretrained", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("fits the body", "ignored", "first conv adapted to 1 channels");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0"})
    void exportPassesTheProofAgainstTheDjlModel(String arch, @TempDir Path dir) {
        Network net = VisionModel.builder().setArch(arch).setClasses(3).build();
        Map<String, Tensor> weights = new LinkedHashMap<>(ExportParityTest.perturbed(net, arch.hashCode()));
        Path file = dir.resolve("w.safetensors");
        SafeTensors.write(file, weights, Map.of());
        Path out = dir.resolve("m.onnx");
        var r = SummaryCommandTest.graft("export", "--arch", arch, "--classes", "3", "--weights", file.toString(),
            "--size", "96", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("parity: largest |difference|");
        r.out().lines().filter(l -> l.contains("parity")).forEach(l -> System.out.println(arch + " " + l.trim()));
        assertThat(out).isNotEmptyFile();
    }

    @Test
    void aMobileNetTrainsExportsQuantisesPredictsAndBenchesThroughTheCommands(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("shapes");
        SyntheticDataset.generate(data, 3, 32, 12, false, 11); // 10 training and 2 validation images per class
        Path run = dir.resolve("run");
        var train = SummaryCommandTest.graft("train", "--data", data.toString(), "--arch", "mobilenet_v3_small",
            "--size", "32", "--batch", "8", "--epochs", "1", "--out", run.toString(), "--no-progress");
        assertThat(train.code()).as(train.err()).isZero();
        assertThat(train.out()).contains("mobilenet_v3_small", "data: 30 training and 6 validation images",
            "checkpoint: " + run, "validation accuracy: ");

        Path fp32 = dir.resolve("m.onnx");
        var export = SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--out", fp32.toString());
        assertThat(export.code()).as(export.err()).isZero();
        assertThat(export.out()).contains("parity: largest |difference| from the trained DJL model");
        Path int8 = dir.resolve("m-int8.onnx");
        var quantise = SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--quantize", "int8",
            "--calibration", data.resolve("train").toString(), "--calibration-count", "16", "--out", int8.toString());
        assertThat(quantise.code()).as(quantise.err()).isZero();
        assertThat(quantise.out()).contains("int8: qdq", "integer kernels: ", "wrote " + int8);
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
            List<String> lines = predict.out().lines().toList();
            assertThat(lines).hasSize(images.size());
            for (String line : lines) {
                JsonNode o = new ObjectMapper().readTree(line);
                assertThat(o.get("device").asText()).isEqualTo("cpu");
                assertThat(o.get("predictions")).hasSize(3);
                assertThat(o.at("/predictions/0/label").asText()).isIn("circle", "square", "triangle");
            }
        }

        var bench = SummaryCommandTest.graft("bench", fp32.toString(), int8.toString(), "--checkpoint", run.toString(),
            "--threads", "1", "--warmup", "1", "--runs", "4", "--baseline", "precision=fp32", "--no-progress");
        assertThat(bench.code()).as(bench.err()).isZero();
        assertThat(bench.out()).contains("| m · ort fp32 cpu t1 b1 |", "| m-int8 · ort int8 cpu t1 b1 |",
            "| m · djl fp32 cpu t1 b1 |");
    }

    @Test
    void anUnknownArchitectureListsTheMobileOnes() {
        var r = SummaryCommandTest.graft("summary", "--arch", "mobilenet_v4", "--classes", "3");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("graft: unknown architecture 'mobilenet_v4'")
            .contains("mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small, efficientnet_b0");
    }
}
