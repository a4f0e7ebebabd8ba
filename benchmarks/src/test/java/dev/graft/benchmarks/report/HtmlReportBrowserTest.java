package dev.graft.benchmarks.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.benchmarks.BenchOptions;
import dev.graft.benchmarks.BenchRunner;
import dev.graft.benchmarks.TestModels;
import dev.graft.benchmarks.result.BenchRun;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report of a real benchmark run, opened in headless Chromium: it loads without console messages, its script
 * runs, the charts are in the rendered DOM, and a screenshot shows them (the series colours are painted).
 */
class HtmlReportBrowserTest {
    private static Chromium chromium;
    private static BenchRun run;

    @TempDir
    Path dir;

    @BeforeAll
    static void measure() {
        chromium = Chromium.find();
        dev.graft.models.testing.Fixtures.requireTool(chromium != null, "chromium is not installed (apt-get install chromium); skipping the browser checks");
        TestModels.Model model = TestModels.resnet18(64);
        run = BenchRunner.run(BenchOptions.builder().setModel(model.onnx()).optCheckpoint(model.checkpoint())
            .optEngines(List.of("ort", "djl")).optDevices(List.of("cpu", "cuda")).optThreads(List.of(1))
            .optBatches(List.of(1, 2)).optWarmup(2).optRuns(20).optLabel("browser-test").build(), null);
    }

    @Test
    void reportLoadsWithoutErrorsAndShowsItsCharts() throws Exception {
        Path html = dir.resolve("report.html");
        HtmlReport.write(List.of(run), Baseline.parse("engine=djl"), html);
        int okRows = (int) run.results().stream().filter(r -> r.ok()).count();
        assertThat(okRows).isEqualTo(4);

        Chromium.Page page = chromium.load(html);
        assertThat(page.console()).as("console messages").isEmpty();
        String dom = page.dom();
        assertThat(dom).contains("data-ready=\"true\"");
        // overview + one histogram per configuration + throughput + speed-up
        assertThat(attribute(dom, "data-charts")).isEqualTo(okRows + 3);
        assertThat(count(dom, "<svg")).isEqualTo(okRows + 3);
        assertThat(count(dom, "class=\"box\"")).isEqualTo(okRows);
        assertThat(count(dom, "class=\"point\"")).isEqualTo(okRows);
        assertThat(count(dom, "id=\"chart-speedup\"")).isEqualTo(1);
        // the two ORT rows are compared with their DJL baselines
        assertThat(count(dom.substring(dom.indexOf("id=\"chart-speedup\"")), "class=\"bar\"")).isGreaterThanOrEqualTo(2);
        assertThat(count(dom, "class=\"bar\"")).isGreaterThan(okRows);
        assertThat(dom).contains("Not run", "has no CUDA provider");
        String summary = dom.substring(dom.indexOf("id=\"summary\""));
        assertThat(count(summary.substring(0, summary.indexOf("</table>")), "<tr")).isEqualTo(okRows + 1);
        assertThat(dom.replace("http://www.w3.org/2000/svg", "")).as("nothing to fetch").doesNotContain("http://",
            "https://");

        Path png = dir.resolve("report.png");
        chromium.screenshot(html, png, 1280, 3200);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(1280);
        // the first two series colours fill boxes, bars and points: many pixels of exactly those colours
        assertThat(pixels(img, 0x1f77b4)).isGreaterThan(500);
        assertThat(pixels(img, 0xff7f0e)).isGreaterThan(500);
        assertThat(pixels(img, 0xffffff)).isLessThan(img.getWidth() * img.getHeight() * 97L / 100);
    }

    @Test
    void aBrokenPageIsCaught() throws Exception {
        // the same checks on a page whose script fails: the console message is seen and the page never gets ready
        String broken = HtmlReport.render(List.of(run), null).replace("(function(){", "(function(){ notDefined();");
        Path html = dir.resolve("broken.html");
        Files.writeString(html, broken);
        Chromium.Page page = chromium.load(html);
        assertThat(page.console()).anyMatch(l -> l.contains("notDefined"));
        assertThat(page.dom()).doesNotContain("data-ready=\"true\"");
    }

    private static int attribute(String dom, String name) {
        Matcher m = Pattern.compile(name + "=\"(\\d+)\"").matcher(dom);
        assertThat(m.find()).as(name).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    private static long pixels(BufferedImage img, int rgb) {
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }
}
