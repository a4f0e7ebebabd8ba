package dev.graft.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The ONNX project's own checker, run through Debian's python3-onnx, as an independent oracle for exported files.
 *
 * <p>ONNX Runtime loading a model proves it runs, not that it is valid ONNX: the runtime tolerates things other
 * consumers reject. {@code onnx.checker.check_model(..., full_check=True)} also runs strict shape and type
 * inference. Where {@code /usr/bin/python3} cannot import {@code onnx} the tests that need it are skipped (via
 * {@link Assumptions}), not failed, so the build still passes on machines without it.
 */
public final class OnnxChecker {
    /** The interpreter Debian's python3-onnx installs into; deliberately not whatever python3 is on the PATH. */
    public static final String PYTHON = "/usr/bin/python3";

    private static final long TIMEOUT_SECONDS = 120;
    private static final String CHECK_SCRIPT = String.join("\n",
            "import sys, onnx",
            "onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)",
            "print('ok')");

    private static String version; // "" once known to be missing
    private static boolean probed;

    private OnnxChecker() {
    }

    /** What a Python run printed (stdout and stderr together) and how it exited. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Whether {@code /usr/bin/python3} can import {@code onnx}; probed once per JVM. */
    public static synchronized boolean isAvailable() {
        if (!probed) {
            probed = true;
            version = "";
            try {
                Result r = runPython("import onnx; print(onnx.__version__)");
                if (r.ok()) {
                    version = r.output().strip();
                }
            } catch (RuntimeException e) {
                // No interpreter, or it hung: treat as missing.
            }
        }
        return !version.isEmpty();
    }

    /** The installed ONNX version, such as {@code 1.12.0}. Call {@link #assumeAvailable()} first. */
    public static String onnxVersion() {
        assumeAvailable();
        return version;
    }

    /** Skips the calling test unless the checker can run. */
    public static void assumeAvailable() {
        dev.graft.models.testing.Fixtures.requireTool(isAvailable(), PYTHON + " cannot import onnx (install Debian's python3-onnx)");
    }

    /** Runs {@code onnx.checker.check_model(onnx.load(model), full_check=True)}. */
    public static Result check(Path model) {
        assumeAvailable();
        return runPython(CHECK_SCRIPT, model.toAbsolutePath().toString());
    }

    /** Fails the calling test, quoting the checker, unless {@code model} passes the full check. */
    public static void assertValid(Path model) {
        Result r = check(model);
        assertThat(r.exitCode())
                .as("onnx %s checker on %s:%n%s", version, model.getFileName(), r.output())
                .isZero();
    }

    /** Runs a Python snippet ({@code python3 -c}) with arguments available as {@code sys.argv[1:]}. */
    public static Result runPython(String script, String... args) {
        List<String> command = new ArrayList<>(List.of(PYTHON, "-c", script));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + PYTHON, e);
        }
        try {
            process.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(process.getInputStream(), out), "python-output");
            reader.setDaemon(true);
            reader.start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(PYTHON + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            reader.join(TimeUnit.SECONDS.toMillis(10));
            synchronized (out) {
                return new Result(process.exitValue(), out.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + PYTHON, e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                synchronized (out) {
                    out.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // The process died; what was read so far is all there is.
        }
    }
}
