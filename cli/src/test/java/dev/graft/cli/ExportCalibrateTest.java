package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft export --calibrate}: the golden resnet18 fitted on a labelled folder; the temperature and the calibration
 * errors land in the metadata, the proof passes against logits / T, every prediction keeps its class, and a model or
 * folder a temperature cannot serve is refused in one line.
 */
class ExportCalibrateTest {
    private static final List<String> CLASSES = List.of("cat", "dog", "fish");

    private static Path folder(Path root) throws Exception {
        for (int c = 0; c < CLASSES.size(); c++) {
            Path dir = Files.createDirectories(root.resolve(CLASSES.get(c)));
            for (int i = 0; i < 6; i++) {
                Files.write(dir.resolve("img" + i + ".png"),
                        EdgeFixtures.encode(EdgeFixtures.picture(70 + i, 64 + c, 31 * c + i), "png"));
            }
        }
        return root;
    }

    private static String[] export(Path dir, Path out, String... extra) throws Exception {
        Path labels = dir.resolve("labels.txt");
        Files.writeString(labels, String.join("\n", CLASSES) + "\n");
        List<String> args = new java.util.ArrayList<>(List.of("export", "--weights",
                dev.graft.models.testing.Fixtures.golden("resnet18_c3_64.fastai.safetensors").toString(), "--arch",
                "resnet18", "--classes", "3", "--size", "64", "--labels", labels.toString(), "--out", out.toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void theTemperatureIsFittedFoldedProvenAndRecordedAndNoPredictionChanges(@TempDir Path dir) throws Exception {
        Path data = folder(dir.resolve("calib"));
        Path plain = dir.resolve("plain.onnx");
        Path calibrated = dir.resolve("calibrated.onnx");
        var a = SummaryCommandTest.graft(export(dir, plain));
        assertThat(a.code()).as(a.err()).isZero();
        var b = SummaryCommandTest.graft(export(dir, calibrated, "--calibrate", data.toString()));
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.out()).contains("calibration: T = ", "on 18 images", "ECE ", "parity: largest |difference|");
        Map<String, String> meta;
        try (EdgeModel p = EdgeModel.load(plain, EdgeOptions.builder().optDevice("cpu").build());
             EdgeModel c = EdgeModel.load(calibrated, EdgeOptions.builder().optDevice("cpu").build())) {
            meta = c.metadata().graftKeys();
            int changed = 0;
            for (String cls : CLASSES) {
                try (var files = Files.list(data.resolve(cls))) {
                    for (Path f : files.toList()) {
                        float[] sp = p.predict(f).scores();
                        float[] sc = c.predict(f).scores();
                        assertThat(c.predict(f).best().index()).isEqualTo(p.predict(f).best().index());
                        for (int k = 0; k < sp.length; k++) {
                            changed += Math.abs(sp[k] - sc[k]) > 1e-4 ? 1 : 0;
                        }
                    }
                }
            }
            double t = Double.parseDouble(meta.get("graft.temperature"));
            if (Math.abs(t - 1) > 1e-3) {
                assertThat(changed).as("a temperature away from 1 moves the probabilities").isPositive();
            }
        }
        double before = Double.parseDouble(meta.get("graft.calibration.ece_before"));
        double after = Double.parseDouble(meta.get("graft.calibration.ece_after"));
        assertThat(meta).containsEntry("graft.calibration.images", "18");
        assertThat(after).isBetween(0.0, 1.0);
        assertThat(before).isBetween(0.0, 1.0);
        System.out.println(b.out());
    }

    @Test
    void whatATemperatureCannotServeIsRefusedInOneLine(@TempDir Path dir) throws Exception {
        Path data = folder(dir.resolve("calib"));
        Path out = dir.resolve("m.onnx");
        var regression = SummaryCommandTest.graft(export(dir, out, "--calibrate", data.toString(), "--activation", "none"));
        assertThat(regression.code()).isEqualTo(1);
        assertThat(regression.err().strip().split("\n")).singleElement().asString().startsWith("graft: --calibrate");

        Files.createDirectories(data.resolve("zebra"));
        Files.write(data.resolve("zebra/z.png"), EdgeFixtures.encode(EdgeFixtures.picture(40, 40, 1), "png"));
        var lacks = SummaryCommandTest.graft(export(dir, out, "--calibrate", data.toString()));
        assertThat(lacks.code()).isEqualTo(1);
        assertThat(lacks.err().strip().split("\n")).singleElement().asString()
                .startsWith("graft: --calibrate: ").contains("'zebra'");
        var missing = SummaryCommandTest.graft(export(dir, out, "--calibrate", dir.resolve("nope").toString()));
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("graft: --calibrate: ").doesNotContain("\tat ");
        assertThat(out).doesNotExist();
    }
}
