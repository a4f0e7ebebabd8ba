package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.OrtRunner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The export command end to end: the golden fastai weights exported and run in ONNX Runtime. */
class ExportCommandTest {

    private static Path golden(String name) {
        return dev.graft.models.testing.Fixtures.golden(name);
    }

    private static float[] floats(Path p) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"softmax", "sigmoid"})
    void goldenWeightsExportAndReproducePytorch(String activation, @TempDir Path dir) throws Exception {
        Path out = dir.resolve("model.onnx");
        var r = SummaryCommandTest.graft("export", "--weights", golden("resnet18_c3_64.fastai.safetensors").toString(),
            "--arch", "resnet18", "--classes", "3", "--size", "64", "--activation", activation, "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("graph: 54 nodes", "parity: largest |difference|", "wrote " + out);
        String name = "resnet18_c3_64_" + activation;
        float[] input = floats(golden(name + ".input.bin"));
        float[] expected = floats(golden(name + ".output.bin"));
        try (OrtRunner ort = OrtRunner.open(Files.readAllBytes(out), OptLevel.ALL_OPT)) {
            float[] actual = ort.run("input", input, new long[] {4, 3, 64, 64}, "probabilities");
            double max = 0;
            for (int i = 0; i < expected.length; i++) {
                max = Math.max(max, Math.abs(actual[i] - expected[i]));
            }
            System.out.printf("graft export (%s): max |difference| from PyTorch = %.3g%n", activation, max);
            assertThat(max).isLessThanOrEqualTo(2e-5);
            for (int row = 0; row < 4; row++) {
                assertThat(argmax(actual, row)).isEqualTo(argmax(expected, row));
            }
        }
    }

    private static int argmax(float[] v, int row) {
        int best = 0;
        for (int j = 1; j < 3; j++) {
            if (v[row * 3 + j] > v[row * 3 + best]) {
                best = j;
            }
        }
        return best;
    }

    @Test
    void badInputWritesNothing(@TempDir Path dir) throws Exception {
        String w = golden("resnet18_c3_64.fastai.safetensors").toString();
        Path out = dir.resolve("m.onnx");
        var wrongClasses = SummaryCommandTest.graft("export", "--weights", w, "--arch", "resnet18", "--classes", "4", "--out", out.toString());
        assertThat(wrongClasses.code()).isEqualTo(1);
        assertThat(wrongClasses.err()).contains("1.8.weight (file [3, 512], network [4, 512])");
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        var unwritable = SummaryCommandTest.graft("export", "--weights", w, "--arch", "resnet18", "--classes", "3",
            "--size", "64", "--out", file.resolve("m.onnx").toString());
        assertThat(unwritable.code()).isEqualTo(1);
        assertThat(unwritable.err()).startsWith("graft: ").doesNotContain("\tat ");
        var opset = SummaryCommandTest.graft("export", "--weights", w, "--arch", "resnet18", "--classes", "3", "--opset", "12",
            "--out", out.toString());
        assertThat(opset.code()).isEqualTo(1);
        assertThat(opset.err()).contains("12");
        var noSource = SummaryCommandTest.graft("export", "--arch", "resnet18", "--classes", "3", "--out", out.toString());
        assertThat(noSource.code()).isEqualTo(2);
        assertThat(out).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("a-file");
        }
    }
}
