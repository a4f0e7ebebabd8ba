package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft demo --quick} runs every step end to end and reports its artefacts and numbers. */
class DemoCommandTest {
    /**
     * A newcomer's first run, as a real process (the engine's native code writes to the process's own stderr, which
     * no in-process test can see): every step runs, and stderr holds neither a progress bar (--no-progress) nor
     * PyTorch's known-harmless noise, the AutoNonVariableTypeMode deprecation paragraph and the NNPACK lines. Run
     * without the launcher's TORCH_CPP_LOG_LEVEL, as a container image or an IDE would start it.
     */
    @Test
    void quickDemoRunsEveryStepAndShowsOnlyGraftsOutput(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("demo");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error", GraftCommand.class.getName(),
            "demo", "--quick", "--no-progress", "--out", out.toString())
            .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile());
        pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
        pb.environment().remove("TORCH_CPP_LOG_LEVEL");
        Process p = pb.start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("graft demo --quick did not finish in 20 minutes");
        }
        String stdout = Files.readString(dir.resolve("stdout.txt"));
        String stderr = Files.readString(dir.resolve("stderr.txt"));
        assertThat(p.exitValue()).as(stderr).isZero();
        assertThat(stderr).doesNotContain("│", "LegacyTypeDispatch", "AutoNonVariableTypeMode", "NNPACK");
        for (int step = 1; step <= 9; step++) {
            assertThat(stdout).contains("== step " + step + "/9");
        }
        assertThat(stdout).contains("training report " + out.resolve("run/report.html"),
            "interpretation  " + out.resolve("interp.html"));
        assertThat(Files.readString(out.resolve("run/report.html"))).contains("id=\"losses\"", "id=\"confusion\"");
        assertThat(Files.readString(out.resolve("interp.html"))).contains("id=\"confusion\"", "id=\"calibration\"");
        assertThat(stdout).contains("the three numbers:", "validation accuracy", "export parity",
            "ms p50 with ONNX Runtime (DJL PyTorch");
        for (String f : new String[] {"lr_find.svg", "model.onnx", "bench.json", "report.html", "model.svg",
            "run/checkpoint.json", "run/report.html", "interp.html"}) {
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
