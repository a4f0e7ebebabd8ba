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
        // progress bars write to System.err itself: with --no-progress no step (lr-find included) may draw one
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream bars = new java.io.ByteArrayOutputStream();
        SummaryCommandTest.Run r;
        System.setErr(new java.io.PrintStream(bars, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            r = SummaryCommandTest.graft("demo", "--quick", "--no-progress", "--out", out.toString());
        } finally {
            System.setErr(stderr);
        }
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(bars.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("│");
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
