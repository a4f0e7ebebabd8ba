package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft demo --quick} runs every step end to end and reports its artefacts and numbers. */
class DemoCommandTest {
    @Test
    void quickDemoRunsEveryStep(@TempDir Path dir) {
        Path out = dir.resolve("demo");
        var r = SummaryCommandTest.graft("demo", "--quick", "--no-progress", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        for (int step = 1; step <= 8; step++) {
            assertThat(r.out()).contains("== step " + step + "/8");
        }
        assertThat(r.out()).contains("the three numbers:", "validation accuracy", "export parity",
            "ms p50 with ONNX Runtime (DJL PyTorch");
        for (String f : new String[] {"lr_find.svg", "model.onnx", "bench.json", "report.html", "model.svg",
            "run/checkpoint.json"}) {
            assertThat(out.resolve(f)).isNotEmptyFile();
        }
    }

    @Test
    void aNonEmptyOutputFolderIsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("x"), "x");
        var r = SummaryCommandTest.graft("demo", "--quick", "--out", dir.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("graft: demo output folder").contains("is not empty");
    }
}
