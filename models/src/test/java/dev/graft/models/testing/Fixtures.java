package dev.graft.models.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;

/**
 * The one rule for test fixtures that live outside the repository (the shared folder's PyTorch-made golden files):
 * on a developer's machine a missing fixture skips the test that needs it, with the path in the reason; in CI
 * ({@code CI=true}, as GitHub Actions, GitLab CI and most others set it) it fails the test, because a CI run that
 * skipped its parity checks would still report success.
 *
 * <p>Every module's tests reach the shared folder through here (the models module's test jar), so the rule cannot
 * drift between modules.
 */
public final class Fixtures {
    private Fixtures() {
    }

    /** True when the environment says this is a CI run ({@code CI=true}, case-insensitive, or {@code CI=1}). */
    public static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && (ci.equalsIgnoreCase("true") || ci.equals("1"));
    }

    /**
     * The shared folder: the {@code graft.shared.dir} property (surefire sets it from the build), else {@code ../shared}
     * or {@code ../../shared} from the module directory, whichever has a {@code golden} folder.
     */
    public static Path sharedDir() {
        String prop = System.getProperty("graft.shared.dir");
        if (prop != null) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        Path near = Paths.get("..", "shared");
        return (Files.isDirectory(near.resolve("golden")) ? near : Paths.get("..", "..", "shared")).toAbsolutePath()
                .normalize();
    }

    /** A file of the shared {@code golden} folder; skips the calling test when it is missing, or fails in CI. */
    public static Path golden(String name) {
        return require(sharedDir().resolve("golden").resolve(name));
    }

    /** {@code file} if it is a regular file; skips the calling test when it is not, or fails in CI. */
    public static Path require(Path file) {
        return require(file, inCi());
    }

    /**
     * Goes on only where a test-time tool (Debian's python3-torch, python3-onnx, chromium) is installed: skips the
     * calling test where it is missing, or fails in CI, which must run every oracle (test.sh installs them).
     */
    public static void requireTool(boolean available, String what) {
        if (available) {
            return;
        }
        if (inCi()) {
            throw new AssertionError(what + " (CI=true: a missing test tool fails the run instead of skipping)");
        }
        Assumptions.abort(what + " (skipped; with CI=true this fails)");
    }

    static Path require(Path file, boolean ci) {
        if (Files.isRegularFile(file)) {
            return file;
        }
        String reason = "test fixture missing: " + file;
        if (ci) {
            throw new AssertionError(reason + " (CI=true: a missing fixture fails the run instead of skipping)");
        }
        Assumptions.abort(reason + " (skipped; with CI=true this fails)");
        return file;
    }
}
