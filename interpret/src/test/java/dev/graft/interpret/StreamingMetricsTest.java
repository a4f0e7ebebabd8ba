package dev.graft.interpret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The accumulators' own rules: bounded memory, bin edges, the temperature's bounds, the data layouts. */
class StreamingMetricsTest {
    @TempDir
    Path tmp;

    @Test
    void topLossesKeepOnlyTheHighestAndTheEarlierOfEqualLosses() {
        TopLosses t = new TopLosses(3);
        for (int i = 0; i < 100_000; i++) {
            t.offer("f" + i, "a", "b", i % 1000, 0.5);
        }
        List<TopLosses.Entry> top = t.highestFirst();
        assertThat(top).extracting(TopLosses.Entry::loss).containsExactly(999.0, 999.0, 999.0);
        assertThat(top).extracting(TopLosses.Entry::file).containsExactly("f999", "f1999", "f2999");
        assertThat(TopLosses.crossEntropy(0)).isCloseTo(-Math.log(1e-12), within(1e-12));
    }

    @Test
    void reliabilityBinsAreLeftOpenRightClosedWithZeroInTheFirst() {
        assertThat(Reliability.bin(0)).isZero();
        assertThat(Reliability.bin(1.0 / 15)).isZero();
        assertThat(Reliability.bin(Math.nextUp(1.0 / 15))).isEqualTo(1);
        assertThat(Reliability.bin(1)).isEqualTo(14);
        Reliability r = new Reliability();
        r.add(0.9, true);
        r.add(0.9, false);
        assertThat(r.ece()).isCloseTo(0.4, within(1e-12));
    }

    @Test
    void temperatureKeepsEveryArgmaxAndIsClampedOnASeparatedSet() {
        Random rnd = new Random(5);
        float[][] logits = new float[200][4];
        int[] labels = new int[200];
        for (int i = 0; i < logits.length; i++) {
            labels[i] = rnd.nextInt(4);
            for (int k = 0; k < 4; k++) {
                logits[i][k] = (float) rnd.nextGaussian() + (k == labels[i] ? 3 : 0);
            }
        }
        TemperatureScaling.Fit fit = TemperatureScaling.fit(logits, labels);
        for (float[] z : logits) {
            assertThat(Softmax.argmax(Softmax.of(z, 1 / fit.temperature()))).isEqualTo(Softmax.argmax(z));
        }
        assertThat(fit.nllAfter()).isLessThanOrEqualTo(fit.nllBefore());
        // perfectly separated: the likelihood rises as T falls; the fit stops at the bound and says so
        float[][] separated = {{5, 0}, {0, 5}, {6, 1}};
        TemperatureScaling.Fit low = TemperatureScaling.fit(separated, new int[] {0, 1, 0});
        assertThat(low.clamped()).isTrue();
        assertThat(low.temperature()).isEqualTo(TemperatureScaling.MIN_TEMPERATURE, within(1e-12));
        assertThat(low.note()).contains("clamped");
        TemperatureScaling.Fit high = TemperatureScaling.fit(separated, new int[] {1, 0, 1});
        assertThat(high.temperature()).isEqualTo(TemperatureScaling.MAX_TEMPERATURE, within(1e-9));
        assertThatThrownBy(() -> TemperatureScaling.fit(new float[][] {{Float.NaN, 0}}, new int[] {0}))
                .isInstanceOf(InterpretException.class);
    }

    @Test
    void multiLabelAndRegressionFigures() {
        MultiLabelInterpretation m = new MultiLabelInterpretation(List.of("a", "b"), 0.5, 2);
        m.add("1", new float[] {0.9f, 0.2f}, new boolean[] {true, false});
        m.add("2", new float[] {0.6f, 0.7f}, new boolean[] {false, true});
        m.add("3", new float[] {0.3f, 0.4f}, new boolean[] {true, true});
        MultiLabelInterpretation.LabelMetrics a = m.labelMetrics().get(0);
        assertThat(a.precision()).isCloseTo(0.5, within(1e-12));
        assertThat(a.recall()).isCloseTo(0.5, within(1e-12));
        assertThat(a.support()).isEqualTo(2);
        assertThat(m.labelMetrics().get(1).bestThreshold()).isLessThanOrEqualTo(0.4);
        assertThat(m.exactMatch()).isCloseTo(1 / 3.0, within(1e-12));
        assertThat(m.topLosses().highestFirst().get(0).file()).isEqualTo("3");

        RegressionInterpretation r = new RegressionInterpretation(List.of("y"), 2, 10);
        float[] actual = {1, 2, 3, 4};
        float[] predicted = {1.5f, 2, 2, 5};
        for (int i = 0; i < 4; i++) {
            r.add("f" + i, new float[] {predicted[i]}, new float[] {actual[i]});
        }
        RegressionInterpretation.OutputMetrics o = r.metrics().get(0);
        assertThat(o.mae()).isCloseTo((0.5 + 0 + 1 + 1) / 4, within(1e-9));
        assertThat(o.rmse()).isCloseTo(Math.sqrt((0.25 + 0 + 1 + 1) / 4), within(1e-9));
        assertThat(o.r2()).isCloseTo(1 - 2.25 / 5.0, within(1e-9));
        RegressionInterpretation big = new RegressionInterpretation(List.of("y"), 2, 10);
        for (int i = 0; i < 10_000; i++) {
            big.add("f", new float[] {i}, new float[] {i});
        }
        assertThat(big.sample()).hasSize(10);
    }

    @Test
    void smoothingIsFastaisDebiasedMovingAverage() {
        double[] s = TrainingSections.smooth(new double[] {2, 2, 2});
        assertThat(s).containsExactly(new double[] {2, 2, 2}, within(1e-12));
        double[] t = TrainingSections.smooth(new double[] {1, 3});
        assertThat(t[1]).isCloseTo((0.98 * 0.02 * 1 + 0.02 * 3) / (1 - 0.98 * 0.98), within(1e-12));
    }

    @Test
    void dataLayouts() throws Exception {
        Path folders = tmp.resolve("folders");
        for (String c : List.of("cat", "dog")) {
            Files.createDirectories(folders.resolve(c));
            Files.write(folders.resolve(c).resolve("a.jpg"), new byte[] {1});
        }
        Files.createDirectories(folders.resolve(".hidden"));
        Files.write(folders.resolve(".hidden/x.jpg"), new byte[] {1});
        LabelledImages all = LabelledImages.read(folders);
        assertThat(all.layout()).isEqualTo("class folders");
        assertThat(all.items()).extracting(LabelledImages.Item::label).containsExactly("cat", "dog");

        Path split = tmp.resolve("split");
        Files.createDirectories(split.resolve("train/cat"));
        Files.write(split.resolve("train/cat/t.png"), new byte[] {1});
        Files.createDirectories(split.resolve("valid/dog"));
        Files.write(split.resolve("valid/dog/v.png"), new byte[] {1});
        assertThat(LabelledImages.read(split).items()).singleElement()
                .extracting(LabelledImages.Item::label).isEqualTo("dog");

        Path csvDir = Files.createDirectories(tmp.resolve("csv"));
        Files.write(csvDir.resolve("a.jpg"), new byte[] {1});
        Files.write(csvDir.resolve("b.jpg"), new byte[] {1});
        Files.writeString(csvDir.resolve("labels.csv"), "fname,labels,is_valid\na.jpg,\"cat dog\",False\nb.jpg,dog,True\n");
        LabelledImages csv = LabelledImages.read(csvDir.resolve("labels.csv"));
        assertThat(csv.items()).singleElement().extracting(LabelledImages.Item::label).isEqualTo("dog");
        Files.writeString(csvDir.resolve("all.csv"), "a.jpg,cat dog\nb.jpg,dog\n");
        assertThat(LabelledImages.read(csvDir.resolve("all.csv")).items()).extracting(LabelledImages.Item::label)
                .containsExactly("cat dog", "dog");

        assertThatThrownBy(() -> LabelledImages.read(tmp.resolve("missing"))).hasMessage("data not found: "
                + tmp.resolve("missing"));
        Files.writeString(csvDir.resolve("bad.csv"), "nope.jpg,cat\n");
        assertThatThrownBy(() -> LabelledImages.read(csvDir.resolve("bad.csv"))).hasMessageContaining("no file nope.jpg");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> LabelledImages.read(empty)).hasMessageContaining("no images");
        assertThat(InterpretationJson.cell("=cmd()")).isEqualTo("'=cmd()");
        assertThat(InterpretationJson.cell("a,b")).isEqualTo("\"a,b\"");
    }

    @Test
    void thumbnailsAreSmallJpegsAndNullForWhatIsNotAnImage() throws Exception {
        java.awt.image.BufferedImage big = new java.awt.image.BufferedImage(1200, 800,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path png = tmp.resolve("big.png");
        javax.imageio.ImageIO.write(big, "png", png.toFile());
        String uri = Thumbnails.fromFiles(100).dataUri(png.toString());
        assertThat(uri).startsWith("data:image/jpeg;base64,");
        java.awt.image.BufferedImage back = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                java.util.Base64.getDecoder().decode(uri.substring(uri.indexOf(',') + 1))));
        assertThat(Math.max(back.getWidth(), back.getHeight())).isEqualTo(100);
        Path text = tmp.resolve("not.png");
        Files.writeString(text, "hello");
        assertThat(Thumbnails.fromFiles(100).dataUri(text.toString())).isNull();
        assertThat(Thumbnails.fromFiles(100).dataUri(tmp.resolve("missing.png").toString())).isNull();
    }
}
