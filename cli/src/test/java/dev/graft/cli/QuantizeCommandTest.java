package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.models.testing.Fixtures;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft export --quantize int8} and {@code --precision fp16} end to end: the golden fastai weights, calibrated
 * on synthetic images, with the report; and every bad calibration input refused in one line with nothing written.
 */
class QuantizeCommandTest {
    @TempDir
    static Path dir;

    private static Path data;
    private static Path labels;

    @BeforeAll
    static void data() throws Exception {
        data = dir.resolve("data");
        SyntheticDataset.generate(data, 3, 64, 12, false, 5); // 10 training and 2 validation images per class
        labels = Files.writeString(dir.resolve("labels.txt"), "circle\nsquare\ntriangle\n");
    }

    private static String weights() {
        return Fixtures.golden("resnet18_c3_64.fastai.safetensors").toString();
    }

    private static SummaryCommandTest.Run export(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("export", "--weights", weights(), "--arch", "resnet18",
                "--classes", "3", "--size", "64", "--labels", labels.toString(), "--out", out.toString()));
        args.addAll(List.of(extra));
        return SummaryCommandTest.graft(args.toArray(String[]::new));
    }

    @Test
    void int8WithCalibrationAndEvaluation() throws Exception {
        Path out = dir.resolve("int8.onnx");
        var r = export(out, "--quantize", "int8", "--calibration", data.resolve("train").toString(),
                "--calibration-count", "16", "--calibration-method", "minmax", "--eval", data.resolve("valid").toString());
        System.out.println(r.out());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("parity: largest |difference| from the trained DJL model",
                "int8: qdq; activations uint8 per tensor, minmax calibration on 16 images from " + data.resolve("train"),
                "int8 graph: ", "QuantizeLinear", "integer kernels: ONNX Runtime runs 20 of 20 convolutions as integer"
                    + " kernels (QLinearConv 20, ", "size: fp32 46.80 MB -> int8 13.34 MB (0.29x the size)",
                "latency batch 1: fp32 ", "latency batch 8: fp32 ", "2 threads",
                "accuracy on 6 images of " + data.resolve("valid") + ": fp32 top-1 ", "wrote " + out);
        try (OrtRunner ort = OrtRunner.open(Files.readAllBytes(out), OptLevel.ALL_OPT)) {
            Map<String, String> meta = ort.customMetadata();
            assertThat(meta).containsEntry("graft.precision", "int8").containsEntry("graft.labels",
                    "circle\nsquare\ntriangle");
            assertThat(ort.run("input", new float[2 * 3 * 64 * 64], new long[] {2, 3, 64, 64}, "probabilities"))
                    .hasSize(6);
        }
    }

    @Test
    void fp16WithEvaluation() throws Exception {
        Path out = dir.resolve("fp16.onnx");
        var r = export(out, "--precision", "fp16", "--eval", data.resolve("valid").toString(), "--report-threads", "1");
        System.out.println(r.out());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("size: fp32 46.80 MB -> fp16 23.4", "1 threads", "fp16 top-1",
                "agreement 100.00% (6/6)").doesNotContain("integer kernels");
        try (OrtRunner ort = OrtRunner.open(Files.readAllBytes(out), OptLevel.ALL_OPT)) {
            assertThat(ort.customMetadata()).containsEntry("graft.precision", "fp16");
        }
    }

    @Test
    void badCalibrationInputIsRefusedInOneLineAndNothingIsWritten() throws Exception {
        Path out = dir.resolve("bad").resolve("m.onnx");
        Files.createDirectories(out.getParent());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path tiny = dir.resolve("tiny");
        SyntheticDataset.generate(tiny, 3, 16, 4, false, 6);
        String train = data.resolve("train").toString();
        String[][] cases = {
            {"--quantize", "int8"},
            {"--quantize", "int4", "--calibration", train},
            {"--calibration", train},
            {"--precision", "fp16", "--calibration-method", "entropy"},
            {"--precision", "fp16", "--quantize", "int8", "--calibration", train},
            {"--precision", "bf16"},
            {"--quantize", "int8", "--calibration", empty.toString()},
            {"--quantize", "int8", "--calibration", dir.resolve("missing").toString()},
            {"--quantize", "int8", "--calibration", train},
            {"--quantize", "int8", "--calibration", train, "--calibration-count", "4"},
            {"--quantize", "int8", "--calibration", tiny.toString(), "--calibration-count", "8"},
            {"--quantize", "int8", "--calibration", train, "--calibration-count", "16", "--calibration-method", "kl"},
            {"--eval", data.resolve("valid").toString()},
            {"--precision", "fp16", "--eval", train + "/circle"},
            {"--precision", "fp16", "--report-threads", "0"},
        };
        String[] expected = {
            "--quantize int8 needs --calibration DIR",
            "--quantize takes int8, not 'int4'",
            "need --quantize int8",
            "need --quantize int8",
            "--quantize int8 and --precision fp16 contradict each other",
            "precision must be fp32, fp16 or int8, not 'bf16'",
            "the calibration folder " + empty + " holds no images",
            "does not exist",
            "calibration needs 256 images but " + train + " holds only 30",
            "calibration needs at least 8 images, not 4",
            "is 16x16, less than half the model's input 64x64",
            "the calibration method must be minmax, percentile or entropy, not 'kl'",
            "--eval compares an fp16 or int8 export with its fp32 original",
            "holds no class folders of images",
            "--report-threads must be at least 1",
        };
        for (int i = 0; i < cases.length; i++) {
            var r = export(out, cases[i]);
            assertThat(r.code()).as(String.join(" ", cases[i]) + ": " + r.err()).isEqualTo(1);
            assertThat(r.err()).as(String.join(" ", cases[i])).startsWith("graft: ").contains(expected[i])
                    .doesNotContain("\tat ");
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        }
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertThat(files).isEmpty();
        }
    }
}
