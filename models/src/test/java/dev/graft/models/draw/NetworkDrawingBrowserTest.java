package dev.graft.models.draw;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drawing as a browser shows it: rendered by headless Chromium (Debian's {@code chromium}), skipped when no
 * Chromium is installed. Screenshots are kept in {@code target/drawings} to look at.
 */
class NetworkDrawingBrowserTest {
    private static final String[] CANDIDATES = {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"};
    private static final Path KEEP = Path.of("target", "drawings");
    private static String chromium;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findChromium() {
        String override = System.getenv("GRAFT_CHROMIUM");
        if (override != null && Files.isExecutable(Path.of(override))) {
            chromium = override;
            return;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : CANDIDATES) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    chromium = p.toString();
                    return;
                }
            }
        }
    }

    private static Network resnet34() {
        return VisionModel.builder().setArch("resnet34").setClasses(37).build();
    }

    /** Runs Chromium headless on a file; returns its standard output. */
    private String chromium(Path page, String... options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + tmp.resolve("profile")));
        cmd.addAll(List.of(options));
        cmd.add(page.toUri().toString());
        Path stdout = tmp.resolve("stdout.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(tmp.resolve("stderr.txt").toFile())
            .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s");
        }
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("stderr.txt"))).isZero();
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    private static int[] size(String svg) {
        Matcher m = Pattern.compile("<svg [^>]*width=\"(\\d+)\" height=\"(\\d+)\"").matcher(svg);
        assertThat(m.find()).isTrue();
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    @Test
    void chromiumRendersTheResnet34Drawing() throws Exception {
        dev.graft.models.testing.Fixtures.requireTool(chromium != null, "no chromium on PATH (apt-get install chromium)");
        NetworkDrawing drawing = NetworkDrawing.builder().setNetwork(resnet34()).build();
        String svg = drawing.toSvg();
        Path file = tmp.resolve("resnet34.svg");
        drawing.write(file);
        int[] wh = size(svg);
        Path png = tmp.resolve("resnet34.png");
        chromium(file, "--screenshot=" + png, "--window-size=" + wh[0] + "," + wh[1]);
        Files.createDirectories(KEEP);
        Files.copy(png, KEEP.resolve("resnet34.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(file, KEEP.resolve("resnet34.svg"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(wh[0]);
        assertThat(img.getHeight()).isEqualTo(wh[1]);
        Set<Integer> colours = new HashSet<>();
        long white = 0;
        long cutRed = 0;
        long headFill = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                if (rgb == 0xFFFFFF) {
                    white++;
                } else if (rgb == 0xD92D20) {
                    cutRed++;
                } else if (rgb == 0xFDE3C2) {
                    headFill++;
                }
            }
        }
        double whiteShare = white / (double) (img.getWidth() * img.getHeight());
        assertThat(whiteShare).as("share of white pixels").isBetween(0.3, 0.9);
        assertThat(colours.size()).as("distinct colours").isGreaterThan(200);
        assertThat(cutRed).as("pixels of the cut line's red").isGreaterThan(1000);
        assertThat(headFill).as("pixels of the trainable head layers' fill").isGreaterThan(20_000);
    }

    @Test
    void chromiumParsesTheSvgWithoutErrors() throws Exception {
        dev.graft.models.testing.Fixtures.requireTool(chromium != null, "no chromium on PATH (apt-get install chromium)");
        Path good = tmp.resolve("good.svg");
        NetworkDrawing.builder().setNetwork(resnet34()).optLabels(names(37)).optTask(Task.SINGLE_LABEL).build().write(good);
        String dom = chromium(good, "--dump-dom");
        assertThat(dom).contains("layer4", "AdaptiveConcatPool2d").doesNotContain("parsererror");
        // the check can fail: a broken file shows Chromium's parser error
        Path bad = tmp.resolve("bad.svg");
        Files.writeString(bad, "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>a & b</text></svg>");
        assertThat(chromium(bad, "--dump-dom")).contains("parsererror");
    }

    /**
     * Legibility, measured by the browser: the SVG inlined into a page whose script asks Chromium for every text's
     * bounding box, then checks that no text spills out of its box or the picture and no two texts overlap.
     */
    @Test
    void noTextOverlapsOrSpillsOutOfItsBox() throws Exception {
        dev.graft.models.testing.Fixtures.requireTool(chromium != null, "no chromium on PATH (apt-get install chromium)");
        List<NetworkDrawing> drawings = List.of(
            NetworkDrawing.builder().setNetwork(resnet34()).build(),
            NetworkDrawing.builder().setNetwork(VisionModel.builder().setArch("resnet152").setClasses(1000).build())
                .optFreezeTo(0).optLabels(names(1000)).optTask(Task.SINGLE_LABEL).optSource("checkpoint runs/pets-resnet152-fine-tune (12 epochs); shown unfrozen: the checkpoint does not"
                    + " record its trainable state, and fine_tune ends unfrozen")
                .build(),
            NetworkDrawing.builder().setNetwork(BodyStagesTest.mobileNetLike()).optInputSize(320, 96).build(),
            NetworkDrawing.builder().setNetwork(VisionModel.builder().setArch("convnext_tiny").setClasses(3).build())
                .build());
        for (NetworkDrawing d : drawings) {
            JsonNode result = measure(d.toSvg());
            Files.createDirectories(KEEP);
            Files.copy(tmp.resolve("measure.html"), KEEP.resolve("measure-" + drawings.indexOf(d) + ".html"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertThat(result.get("texts").asInt()).isGreaterThan(40);
            assertThat(result.get("problems")).as(result.toPrettyString()).isEmpty();
        }
        // the check can fail: a text moved onto another one is caught
        String broken = NetworkDrawing.builder().setNetwork(resnet34()).build().toSvg()
            .replace("<text x=\"24\" y=\"34\" class=\"title\"", "<text x=\"24\" y=\"58\" class=\"title\"");
        assertThat(measure(broken).get("problems").toString()).contains("overlaps");
    }

    private JsonNode measure(String svg) throws Exception {
        String script = """
            const svg = document.querySelector('svg');
            const W = svg.viewBox.baseVal.width, H = svg.viewBox.baseVal.height;
            const problems = [];
            const boxes = [...svg.querySelectorAll('text')].map(t => {
              const b = t.getBBox();
              return {t: t.textContent, x: b.x + 1, y: b.y + 1, r: b.x + b.width - 1, b: b.y + b.height - 1, el: t};
            });
            for (const b of boxes) {
              if (b.x < 0 || b.r > W || b.y < 0 || b.b > H) problems.push('outside the picture: ' + b.t);
              const g = b.el.closest('g.box-group');
              if (g) {
                const r = g.querySelector('rect').getBBox();
                if (b.x < r.x || b.r > r.x + r.width || b.y < r.y || b.b > r.y + r.height) {
                  problems.push('spills out of its box: ' + b.t);
                }
              }
            }
            for (let i = 0; i < boxes.length; i++) {
              for (let j = i + 1; j < boxes.length; j++) {
                const a = boxes[i], c = boxes[j];
                if (a.x < c.r && c.x < a.r && a.y < c.b && c.y < a.b) problems.push(a.t + ' overlaps ' + c.t);
              }
            }
            document.getElementById('result').textContent = JSON.stringify({texts: boxes.length, problems});
            """;
        String page = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"margin:0\">"
            + svg.replaceFirst("^<\\?xml[^>]*>\\s*", "") + "<pre id=\"result\">pending</pre><script>" + script
            + "</script></body></html>";
        Path html = tmp.resolve("measure.html");
        Files.writeString(html, page, StandardCharsets.UTF_8);
        String dom = chromium(html, "--dump-dom");
        Matcher m = Pattern.compile("<pre id=\"result\">(.*?)</pre>", Pattern.DOTALL).matcher(dom);
        assertThat(m.find()).as(dom.length() > 2000 ? dom.substring(dom.length() - 2000) : dom).isTrue();
        String json = m.group(1).replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        return new ObjectMapper().readTree(json);
    }

    private static List<String> names(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("class_" + i);
        }
        return out;
    }
}
