package dev.graft.interpret;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's python3 with numpy, scikit-learn or torch as a test-time oracle: a script reads JSON on stdin and prints JSON.
 * Tests skip where the modules are missing and fail in CI.
 */
final class PythonOracle {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private PythonOracle() {
    }

    /** Skips (or fails in CI) unless python3 can import every module named. */
    static void require(String... modules) throws IOException, InterruptedException {
        boolean ok = Files.isExecutable(PYTHON);
        if (ok) {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import " + String.join(", ", modules))
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        }
        Fixtures.requireTool(ok, "/usr/bin/python3 with " + String.join(", ", modules) + " is not installed");
    }

    static JsonNode run(String script, Object input, Path tmp) throws IOException, InterruptedException {
        ObjectMapper mapper = new ObjectMapper();
        Path in = tmp.resolve("oracle-in.json");
        Path py = tmp.resolve("oracle.py");
        mapper.writeValue(in.toFile(), input);
        Files.writeString(py, script, StandardCharsets.UTF_8);
        Path err = tmp.resolve("oracle-err.txt");
        Process p = new ProcessBuilder(PYTHON.toString(), py.toString(), in.toString()).redirectError(err.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("python oracle did not finish in 300 s");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("python oracle failed: " + Files.readString(err));
        }
        return mapper.readTree(out);
    }
}
