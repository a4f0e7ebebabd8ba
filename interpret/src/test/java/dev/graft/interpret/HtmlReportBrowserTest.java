package dev.graft.interpret;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.interpret.testing.ChromiumPage;
import dev.graft.models.testing.Fixtures;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report as a browser shows it ({@link ChromiumPage}): no two texts of a chart overlap or leave their chart, every
 * chart is there, every thumbnail decoded, and the page fetched nothing.
 */
class HtmlReportBrowserTest {
    @TempDir
    Path tmp;

    private Path picture(int i) throws Exception {
        BufferedImage img = new BufferedImage(120 + i, 90, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(Color.HSBtoRGB(i / 20f, 0.7f, 0.9f)));
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.fillOval(20, 20, 50, 40);
        g.dispose();
        Path p = tmp.resolve("img-" + i + ".png");
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    /** A page with every section kind: 37 long class names, multi-label, regression and the training curves. */
    private String fullReport() throws Exception {
        Random r = new Random(7);
        List<String> classes = new ArrayList<>();
        for (int i = 0; i < 37; i++) {
            classes.add(i % 3 == 0 ? "american_pit_bull_terrier_" + i : i % 3 == 1 ? "Egyptian_Mau_" + i : "pug" + i);
        }
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            files.add(picture(i));
        }
        SingleLabelInterpretation single = new SingleLabelInterpretation(classes, 12);
        for (int i = 0; i < 3000; i++) {
            int actual = r.nextInt(classes.size());
            float[] p = new float[classes.size()];
            float sum = 0;
            for (int k = 0; k < p.length; k++) {
                p[k] = (float) Math.exp(r.nextGaussian() + (k == actual && r.nextDouble() < 0.8 ? 5 : 0));
                sum += p[k];
            }
            for (int k = 0; k < p.length; k++) {
                p[k] /= sum;
            }
            single.add(files.get(i % files.size()).toString(), p, actual);
        }
        single.unreadable(tmp.resolve("broken.jpg").toString(), "the image is truncated or corrupt");
        HtmlReport page = new HtmlReport("Interpretation of pets.onnx").addIntro("model pets.onnx, data pets/valid");
        page.addSingleLabel(single, 2, Thumbnails.fromFiles(Thumbnails.DEFAULT_SIDE));

        List<String> labels = List.of("person", "bicycle", "car", "a_rather_long_label_name");
        MultiLabelInterpretation multi = new MultiLabelInterpretation(labels, 0.5, 4);
        for (int i = 0; i < 500; i++) {
            boolean[] a = new boolean[labels.size()];
            float[] p = new float[labels.size()];
            for (int l = 0; l < a.length; l++) {
                a[l] = r.nextDouble() < 0.3;
                p[l] = (float) Math.min(1, Math.max(0, (a[l] ? 0.65 : 0.3) + r.nextGaussian() * 0.2));
            }
            multi.add(files.get(i % files.size()).toString(), p, a);
        }
        HtmlReport ml = new HtmlReport("multi").addMultiLabel(multi, Thumbnails.fromFiles(Thumbnails.DEFAULT_SIDE));

        RegressionInterpretation reg = new RegressionInterpretation(List.of("age"), 4, 500);
        for (int i = 0; i < 2000; i++) {
            float actual = (float) (r.nextDouble() * 80);
            reg.add(files.get(i % files.size()).toString(), new float[] {(float) (actual + r.nextGaussian() * 6)},
                    new float[] {actual});
        }
        HtmlReport rg = new HtmlReport("regression").addRegression(reg, Thumbnails.fromFiles(Thumbnails.DEFAULT_SIDE));

        HtmlReport training = new HtmlReport("training");
        int batches = 460;
        double[] loss = new double[batches];
        double[] lr = new double[batches];
        double[] mom = new double[batches];
        for (int i = 0; i < batches; i++) {
            loss[i] = 2.5 * Math.exp(-i / 120.0) + 0.2 + r.nextGaussian() * 0.1;
            double t = i / (double) batches;
            lr[i] = t < 0.25 ? 1e-3 * t / 0.25 : 1e-3 * (1 + Math.cos(Math.PI * (t - 0.25) / 0.75)) / 2;
            mom[i] = t < 0.25 ? 0.95 - 0.1 * t / 0.25 : 0.85 + 0.1 * (t - 0.25) / 0.75;
        }
        TrainingSections.addLosses(training, loss, new long[] {92, 184, 276, 368, 460},
                new double[] {1.2, 0.8, 0.6, 0.55, 0.52});
        TrainingSections.addMetrics(training, List.of("train_loss", "valid_loss", "error_rate"),
                List.of(new double[] {1.9, 1.2, 0.3}, new double[] {0.9, 0.8, 0.2}, new double[] {0.7, 0.6, 0.15},
                        new double[] {0.6, 0.55, 0.12}, new double[] {0.5, 0.52, 0.1}));
        TrainingSections.addSchedules(training, lr, mom);
        double[] lrs = new double[100];
        double[] lrLoss = new double[100];
        for (int i = 0; i < 100; i++) {
            lrs[i] = 1e-7 * Math.pow(10, i * 8 / 99.0);
            lrLoss[i] = 2.5 - Math.min(2, i / 40.0) + (i > 85 ? (i - 85) * 0.5 : 0);
        }
        TrainingSections.addLrFind(training, lrs, lrLoss, 2.1e-3);

        String html = page.toHtml();
        int end = html.lastIndexOf("</body>");
        return html.substring(0, end) + body(ml.toHtml()) + body(rg.toHtml()) + body(training.toHtml()) + html.substring(end);
    }

    private static String body(String html) {
        return html.substring(html.indexOf("<body>") + 6, html.lastIndexOf("</body>"))
                .replace("<h1>", "<h2>").replace("</h1>", "</h2>");
    }

    @Test
    void chromiumShowsEveryChartAndThumbnailWithNoOverlappingTextAndNoFetch() throws Exception {
        String chromium = ChromiumPage.chromium();
        Fixtures.requireTool(chromium != null, "no chromium on PATH (apt-get install chromium)");
        String html = fullReport();
        assertThat(html).doesNotContain("<script", "http://", "https://", "<link", "@import", "url(");
        Path keep = Path.of("target", "interpret-report");
        Files.createDirectories(keep);
        Files.writeString(keep.resolve("report.html"), html, StandardCharsets.UTF_8);
        JsonNode result = ChromiumPage.measure(chromium, html, tmp.resolve("measure"));
        assertThat(result.get("problems")).as(result.toPrettyString()).isEmpty();
        assertThat(result.get("texts").asInt()).isGreaterThan(200);
        JsonNode charts = result.get("charts");
        for (String kind : List.of("confusion-counts", "confusion-normalised", "reliability", "sweep", "scatter",
                "residuals", "loss", "metrics", "lr", "momentum", "lr-find")) {
            assertThat(charts.path(kind).asInt()).as(kind + " in " + charts).isPositive();
        }
        assertThat(charts.get("sweep").asInt()).isEqualTo(4);
        assertThat(result.get("thumbs").asInt()).isEqualTo(12 + 4 + 4);
        assertThat(result.get("visible").asInt()).isEqualTo(result.get("thumbs").asInt());
        assertThat(result.get("fetched")).as("resources the page fetched").isEmpty();
    }

    @Test
    void theMeasurementCanFail() throws Exception {
        String chromium = ChromiumPage.chromium();
        Fixtures.requireTool(chromium != null, "no chromium on PATH (apt-get install chromium)");
        String bad = "<html><body><svg class=\"chart broken\" width=\"200\" height=\"100\"><text x=\"10\" y=\"20\">overlap"
                + "</text><text x=\"12\" y=\"22\">overlap</text></svg>" + ChromiumPage.MEASURE + "</body></html>";
        Path page = tmp.resolve("bad.html");
        Files.writeString(page, bad);
        Path out = tmp.resolve("bad-dom.html");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--user-data-dir=" + tmp.resolve("profile2"), "--dump-dom", page.toUri().toString())
                .redirectOutput(out.toFile()).redirectError(tmp.resolve("err2.txt").toFile()).start();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(out)).contains("overlaps");
    }
}
