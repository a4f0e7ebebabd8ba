package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.interpret.testing.ChromiumPage;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.testing.Fixtures;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.SyntheticDataset;
import dev.graft.trainer.learner.Callback;
import dev.graft.trainer.learner.Checkpointing;
import dev.graft.trainer.learner.Learner;
import dev.graft.trainer.learner.TrainingView;
import dev.graft.trainer.schedule.LearningRates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training report {@code graft train} keeps in its run folder: rewritten after every epoch, finished with the
 * interpretation {@code graft interpret --checkpoint} computes (the same sections, byte for byte), and shown by a
 * browser with every chart, no overlapping text and no fetch.
 */
class TrainingReportTest {
    private static final Pattern ROW = Pattern.compile("<tr><td>(\\d+)</td>");

    private static String section(String html, String id) {
        Matcher m = Pattern.compile("<section id=\"" + id + "\">.*?</section>", Pattern.DOTALL).matcher(html);
        assertThat(m.find()).as("section " + id).isTrue();
        return m.group();
    }

    private static List<Integer> epochRows(String html) {
        Matcher m = ROW.matcher(section(html, "metrics"));
        List<Integer> rows = new ArrayList<>();
        while (m.find()) {
            rows.add(Integer.parseInt(m.group(1)));
        }
        return rows;
    }

    /** Reads the report after every epoch, as someone watching the run would; it runs after the report's callback. */
    private static final class Watcher implements Callback {
        final Path file;
        final List<List<Integer>> seen = new ArrayList<>();

        Watcher(Path file) {
            this.file = file;
        }

        @Override
        public void afterEpoch(TrainingView v) {
            try {
                seen.add(epochRows(Files.readString(file)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void theReportIsRewrittenAfterEveryEpochAndNoTemporaryIsLeft(@TempDir Path dir) throws Exception {
        ImageDataset data = SyntheticDataset.generate(dir.resolve("d"), 3, 32, 6, false, 3);
        Path run = dir.resolve("run");
        Checkpointing checkpointing = Checkpointing.open(run, null);
        TrainingReport report = new TrainingReport(run, "t", List.of("intro"), 0);
        Watcher watcher = new Watcher(run.resolve(TrainingReport.FILE));
        try (Learner learner = Learner.builder(data).setNetwork(VisionModel.builder().setArch("resnet18").setClasses(3)
                .build()).optSize(32).optBatchSize(8).optWorkers(1).optSeed(1)
                .addCallbacks(checkpointing, report, watcher).build()) {
            learner.unfreeze();
            learner.fitOneCycle(2, LearningRates.of(1e-3));
        }
        assertThat(watcher.seen).containsExactly(List.of(0), List.of(0, 1));
        String html = Files.readString(run.resolve(TrainingReport.FILE));
        for (String id : List.of("losses", "metrics", "schedules")) {
            assertThat(html).contains("<section id=\"" + id + "\">");
        }
        try (Stream<Path> files = Files.list(run)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void trainEndsWithTheInterpretationOfInterpretCheckpointAndChromiumShowsIt(@TempDir Path dir) throws Exception {
        Path shapes = dir.resolve("shapes");
        SyntheticDataset.generate(shapes, 3, 32, 10, false, 3);
        Path data = shapes.resolve("train"); // class folders: the run splits them at random
        Path run = dir.resolve("run");
        var t = SummaryCommandTest.graft("train", "--data", data.toString(), "--arch", "resnet18", "--size", "32",
                "--batch", "8", "--epochs", "2", "--valid-pct", "0.3", "--out", run.toString(), "--no-progress");
        assertThat(t.code()).as(t.err()).isZero();
        Path file = run.resolve(TrainingReport.FILE);
        assertThat(t.out()).contains("training report: " + file);
        String trained = Files.readString(file);
        assertThat(epochRows(trained)).containsExactly(0, 1);
        assertThat(trained).as("no lr_find without --lr-find").doesNotContain("<section id=\"lr-find\">");
        assertThat(t.out()).doesNotContain("lr_find");

        Path interp = dir.resolve("interp.html");
        var r = SummaryCommandTest.graft("interpret", "--checkpoint", run.toString(), "--report", interp.toString(),
                "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        String interpreted = Files.readString(interp);
        for (String id : List.of("summary", "confusion", "most-confused", "report", "calibration", "top-losses")) {
            assertThat(section(trained, id)).as(id).isEqualTo(section(interpreted, id));
        }
        assertThat(section(trained, "confusion")).contains("confusion-counts");

        String chromium = ChromiumPage.chromium();
        Fixtures.requireTool(chromium != null, "no chromium on PATH (apt-get install chromium)");
        assertThat(trained).doesNotContain("<script", "http://", "https://", "<link", "@import", "url(");
        JsonNode result = ChromiumPage.measure(chromium, trained, dir.resolve("measure"));
        assertThat(result.get("problems")).as(result.toPrettyString()).isEmpty();
        JsonNode charts = result.get("charts");
        for (String kind : List.of("loss", "metrics", "lr", "momentum", "confusion-counts", "confusion-normalised",
                "reliability")) {
            assertThat(charts.path(kind).asInt()).as(kind + " in " + charts).isPositive();
        }
        assertThat(result.get("thumbs").asInt()).isPositive();
        assertThat(result.get("visible").asInt()).isEqualTo(result.get("thumbs").asInt());
        assertThat(result.get("fetched")).as("resources the page fetched").isEmpty();
    }

    @Test
    void lrFindBeforeFittingPrintsItsSuggestionAndTheReportDrawsItsCurve(@TempDir Path dir) throws Exception {
        Path shapes = dir.resolve("shapes");
        SyntheticDataset.generate(shapes, 3, 32, 10, false, 3);
        Path run = dir.resolve("run");
        var t = SummaryCommandTest.graft("train", "--data", shapes.resolve("train").toString(), "--arch", "resnet18",
                "--size", "32", "--batch", "8", "--epochs", "1", "--valid-pct", "0.3", "--out", run.toString(),
                "--no-progress", "--lr-find", "--lr-find-steps", "12");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("lr_find: body trainable, 12 steps from 1.00e-07 to 1.00e+01",
                "suggested learning rate (valley): ");
        // the sweep comes before the first epoch's row
        assertThat(t.out().indexOf("suggested learning rate")).isLessThan(t.out().indexOf("train_loss"));
        String html = Files.readString(run.resolve(TrainingReport.FILE));
        assertThat(section(html, "lr-find")).contains("suggested ", "<path class=\"series\"");
        assertThat(epochRows(html)).containsExactly(0);

        String chromium = ChromiumPage.chromium();
        Fixtures.requireTool(chromium != null, "no chromium on PATH (apt-get install chromium)");
        JsonNode result = ChromiumPage.measure(chromium, html, dir.resolve("measure"));
        assertThat(result.get("problems")).as(result.toPrettyString()).isEmpty();
        assertThat(result.get("charts").path("lr-find").asInt()).as(result.get("charts").toString()).isPositive();
        assertThat(result.get("fetched")).as("resources the page fetched").isEmpty();
    }
}
