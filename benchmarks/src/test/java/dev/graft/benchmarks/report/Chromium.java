package dev.graft.benchmarks.report;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's headless Chromium, driven from the command line: the rendered DOM after scripts ran, the page's console
 * messages, and screenshots. Tests that need it skip when it is not installed.
 */
final class Chromium {
    private final Path executable;

    private Chromium(Path executable) {
        this.executable = executable;
    }

    /** The installed Chromium, or null: {@code -Dgraft.chromium=PATH}, else chromium or chromium-browser on the PATH. */
    static Chromium find() {
        String explicit = System.getProperty("graft.chromium");
        if (explicit != null && Files.isExecutable(Path.of(explicit))) {
            return new Chromium(Path.of(explicit));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return new Chromium(p);
                }
            }
        }
        return null;
    }

    /** What a page load produced: the serialised DOM after scripts ran, and the page's console messages. */
    record Page(String dom, List<String> console) {
    }

    /** Loads {@code html} headless, waits for its scripts, and returns the DOM and console messages. */
    Page load(Path html) throws IOException, InterruptedException {
        Path err = Files.createTempFile("chromium", ".log");
        try {
            String dom = run(List.of("--enable-logging=stderr", "--v=0", "--dump-dom", html.toUri().toString()), err);
            List<String> console = new ArrayList<>();
            for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
                if (line.contains(":CONSOLE")) {
                    console.add(line);
                }
            }
            return new Page(dom, console);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** A PNG screenshot of {@code html} at {@code width} x {@code height} CSS pixels. */
    void screenshot(Path html, Path png, int width, int height) throws IOException, InterruptedException {
        Path err = Files.createTempFile("chromium", ".log");
        try {
            run(List.of("--hide-scrollbars", "--window-size=" + width + "," + height, "--screenshot=" + png,
                html.toUri().toString()), err);
        } finally {
            Files.deleteIfExists(err);
        }
        if (!Files.isRegularFile(png)) {
            throw new IOException("chromium wrote no screenshot to " + png);
        }
    }

    private String run(List<String> args, Path stderr) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(executable.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("chromium did not finish in 120 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("chromium exited with " + p.exitValue() + ": " + Files.readString(stderr));
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            try (var walk = Files.walk(profile)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
