package dev.graft.models.weights;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch checkpoints written at test time by Debian's python3-torch ({@code /usr/bin/python3}, never another python
 * on PATH), each with the values PyTorch holds written next to it as {@code <name>.expected.safetensors}. Tests using
 * it skip where torch is not installed, and fail where {@code CI=true}.
 */
final class TorchFixtures {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static Path dir;

    private TorchFixtures() {
    }

    /** The folder holding the fixtures, written once per JVM into a fresh temporary folder. */
    static synchronized Path dir() throws IOException, InterruptedException {
        if (dir != null) {
            return dir;
        }
        boolean available = Files.isExecutable(PYTHON) && run(null, "-c", "import torch, torchvision").isEmpty();
        if (!available) {
            if ("true".equals(System.getenv("CI"))) {
                fail("CI=true but /usr/bin/python3 cannot import torch and torchvision");
            }
            assumeTrue(false, "python3-torch / python3-torchvision not installed");
        }
        Path out = Files.createTempDirectory("graft-torch-fixtures");
        Path script = out.resolve("make_fixtures.py");
        try (InputStream in = TorchFixtures.class.getResourceAsStream("torch/make_fixtures.py")) {
            Files.write(script, in.readAllBytes());
        }
        String error = run(out, script.toString(), out.toString());
        if (error != null && !error.isEmpty()) {
            fail("make_fixtures.py failed: " + error);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(out)));
        dir = out;
        return dir;
    }

    static Path file(String name) throws IOException, InterruptedException {
        return dir().resolve(name);
    }

    /** Runs python; null on success with no output, "" when the import check passed, else the output. */
    private static String run(Path workDir, String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = PYTHON.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        Process p = builder.start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            return text.isEmpty() ? "exit " + p.exitValue() : text;
        }
        return "";
    }

    private static void deleteQuietly(Path directory) {
        try (var files = Files.list(directory)) {
            files.forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder; the OS cleans it eventually
        }
        directory.toFile().delete();
    }
}
