package dev.graft.interpret.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A report page as a browser shows it: Debian's headless Chromium loads a copy of the page with a measuring script
 * added, which reports texts of a chart that overlap or leave their chart, the charts by kind, the thumbnails that
 * decoded, and everything the page fetched. The page itself has no script and forbids every fetch (its
 * Content-Security-Policy), so the copy drops that one meta tag to let the measurement run. Shared by the interpret
 * module's tests and the cli's training-report test.
 */
public final class ChromiumPage {
    private ChromiumPage() {
    }

    public static final String MEASURE = String.join("\n",
            "<script>",
            "window.addEventListener('load', () => {",
            "  const problems = []; const charts = {};",
            "  let texts = 0;",
            "  for (const svg of document.querySelectorAll('svg.chart')) {",
            "    const kind = svg.getAttribute('class').split(' ')[1];",
            "    charts[kind] = (charts[kind] || 0) + 1;",
            "    const frame = svg.getBoundingClientRect();",
            "    const boxes = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()]);",
            "    texts += boxes.length;",
            "    for (const [s, b] of boxes) {",
            "      if (b.left < frame.left - 0.5 || b.right > frame.right + 0.5 || b.top < frame.top - 0.5",
            "          || b.bottom > frame.bottom + 0.5) problems.push(kind + ': \"' + s + '\" leaves the chart');",
            "    }",
            "    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {",
            "      const a = boxes[i][1], b = boxes[j][1];",
            "      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);",
            "      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);",
            "      if (w > 0.5 && h > 0.5) problems.push(kind + ': \"' + boxes[i][0] + '\" overlaps \"' + boxes[j][0] + '\"');",
            "    }",
            "  }",
            "  const imgs = [...document.querySelectorAll('img.thumb')];",
            "  const visible = imgs.filter(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0).length;",
            "  const fetched = performance.getEntriesByType('resource').map(r => r.name);",
            "  const pre = document.createElement('pre'); pre.id = 'measure';",
            "  pre.textContent = JSON.stringify({problems: problems.slice(0, 50), count: problems.length, charts, texts,",
            "      thumbs: imgs.length, visible, fetched});",
            "  document.body.appendChild(pre);",
            "});",
            "</script>");

    public static String chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    /**
     * Loads {@code html} (a page with its Content-Security-Policy meta tag) in headless Chromium with the measuring
     * script and returns what it measured: problems, count, charts (by kind), texts, thumbs, visible, fetched.
     */
    public static JsonNode measure(String chromium, String html, Path work) throws Exception {
        Matcher csp = Pattern.compile("<meta http-equiv=\"Content-Security-Policy\"[^>]*>").matcher(html);
        if (!csp.find()) {
            throw new AssertionError("the page has no Content-Security-Policy");
        }
        Files.createDirectories(work);
        Path measured = work.resolve("measured.html");
        Files.writeString(measured, csp.replaceFirst("").replace("</body>", MEASURE + "</body>"), StandardCharsets.UTF_8);
        List<String> cmd = List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--hide-scrollbars", "--window-size=1280,900", "--user-data-dir=" + work.resolve("profile"),
                "--virtual-time-budget=5000", "--dump-dom", measured.toUri().toString());
        Path out = work.resolve("dom.html");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(work.resolve("err.txt").toFile())
                .start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 180 s");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("chromium exited with " + p.exitValue() + ": " + Files.readString(work.resolve("err.txt")));
        }
        Matcher m = Pattern.compile("<pre id=\"measure\">(.*?)</pre>", Pattern.DOTALL).matcher(Files.readString(out));
        if (!m.find()) {
            throw new AssertionError("the measuring script did not run");
        }
        return new ObjectMapper().readTree(m.group(1).replace("&quot;", "\"").replace("&amp;", "&")
                .replace("&lt;", "<").replace("&gt;", ">"));
    }
}
