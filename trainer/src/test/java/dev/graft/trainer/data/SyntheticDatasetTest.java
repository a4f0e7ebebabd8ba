package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.image.PixelBuffer;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDatasetTest {
    @TempDir
    Path dir;

    private static List<Path> files(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void singleLabelLayoutAndCounts() {
        ImageDataset ds = SyntheticDataset.generate(dir.resolve("s"), 3, 16, 10, false, 1);
        assertThat(ds.task()).isEqualTo(Task.SINGLE_LABEL);
        assertThat(ds.classes()).containsExactly("circle", "square", "triangle");
        assertThat(ds.train()).hasSize(24);
        assertThat(ds.valid()).hasSize(6);
        assertThat(dir.resolve("s/train/circle/circle_0000.png")).isRegularFile();
        assertThat(dir.resolve("s/valid/triangle/triangle_0009.png")).isRegularFile();
        assertThat(files(dir.resolve("s"))).hasSize(30)
                .allSatisfy(p -> assertThat(p.getFileName().toString()).endsWith(".png").doesNotStartWith("."));
        PixelBuffer img = ImageDecoder.decode(ds.train().get(0).path());
        assertThat(img.width()).isEqualTo(16);
        assertThat(img.height()).isEqualTo(16);
    }

    @Test
    void tinyClassesStillLoad() {
        ImageDataset one = SyntheticDataset.generate(dir.resolve("one"), 2, 16, 1, false, 1);
        assertThat(one.train()).hasSize(2);
        assertThat(one.valid()).isEmpty();
        ImageDataset two = SyntheticDataset.generate(dir.resolve("two"), 2, 16, 2, false, 1);
        assertThat(two.train()).hasSize(2);
        assertThat(two.valid()).hasSize(2);
    }

    @Test
    void multiLabelWritesLabelsCsv() throws IOException {
        ImageDataset ds = SyntheticDataset.generate(dir.resolve("m"), 4, 24, 5, true, 3);
        assertThat(ds.task()).isEqualTo(Task.MULTI_LABEL);
        assertThat(ds.classes()).containsExactly("circle", "cross", "square", "triangle");
        assertThat(ds.train()).hasSize(16);
        assertThat(ds.valid()).hasSize(4);
        List<String> lines = Files.readAllLines(dir.resolve("m/labels.csv"));
        assertThat(lines.get(0)).isEqualTo("fname,labels,is_valid");
        assertThat(lines).hasSize(21);
        assertThat(lines.get(1)).startsWith("img_00000.png,circle");
        for (Item item : ds.train()) {
            float sum = 0;
            for (float v : item.multiHot()) {
                sum += v;
            }
            assertThat(sum).isGreaterThanOrEqualTo(1);
        }
        assertThat(files(dir.resolve("m/images"))).hasSize(20);
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherImages() throws IOException {
        SyntheticDataset.generate(dir.resolve("a"), 2, 20, 3, false, 11);
        SyntheticDataset.generate(dir.resolve("b"), 2, 20, 3, false, 11);
        SyntheticDataset.generate(dir.resolve("c"), 2, 20, 3, false, 12);
        List<Path> a = files(dir.resolve("a"));
        List<Path> b = files(dir.resolve("b"));
        List<Path> c = files(dir.resolve("c"));
        assertThat(a).hasSize(6);
        int differing = 0;
        for (int i = 0; i < a.size(); i++) {
            assertThat(dir.resolve("a").relativize(a.get(i))).isEqualTo(dir.resolve("b").relativize(b.get(i)));
            assertThat(Files.readAllBytes(a.get(i))).isEqualTo(Files.readAllBytes(b.get(i)));
            differing += Arrays.equals(Files.readAllBytes(a.get(i)), Files.readAllBytes(c.get(i))) ? 0 : 1;
        }
        assertThat(differing).isEqualTo(6);
    }

    /** Fraction of pixels on the far side of the background's brightness band: the drawn shape. */
    private static double foreground(PixelBuffer img) {
        int[] px = TestImages.rgb(img);
        int[] bright = new int[px.length];
        for (int i = 0; i < px.length; i++) {
            int p = px[i];
            bright[i] = Math.max((p >> 16) & 0xFF, Math.max((p >> 8) & 0xFF, p & 0xFF));
        }
        int[] sorted = bright.clone();
        Arrays.sort(sorted);
        boolean dark = sorted[sorted.length / 2] < 128;
        int n = 0;
        for (int v : bright) {
            n += dark ? (v > 147 ? 1 : 0) : (v < 121 ? 1 : 0);
        }
        return (double) n / px.length;
    }

    @Test
    void classesDifferByShapeNotColour() {
        ImageDataset ds = SyntheticDataset.generate(dir.resolve("d"), 6, 32, 40, false, 5);
        int k = ds.classes().size();
        double[][] meanImage = new double[k][32 * 32 * 3];
        double[] meanRed = new double[k];
        double[] fg = new double[k];
        int[] count = new int[k];
        for (Item item : ds.train()) {
            int c = item.classIndex();
            PixelBuffer img = ImageDecoder.decode(item.path());
            double f = foreground(img);
            // half of a textured shape is drawn in its second shade, nearer the background, so only about half counts
            assertThat(f).as("shape visible in " + item.path().getFileName()).isGreaterThan(0.01);
            fg[c] += f;
            int[] px = TestImages.rgb(img);
            for (int i = 0; i < px.length; i++) {
                meanImage[c][3 * i] += (px[i] >> 16) & 0xFF;
                meanImage[c][3 * i + 1] += (px[i] >> 8) & 0xFF;
                meanImage[c][3 * i + 2] += px[i] & 0xFF;
                meanRed[c] += ((px[i] >> 16) & 0xFF) / (double) px.length;
            }
            count[c]++;
        }
        for (int c = 0; c < k; c++) {
            fg[c] /= count[c];
            meanRed[c] /= count[c];
            for (int c2 = 0; c2 < c; c2++) {
                assertThat(Arrays.equals(meanImage[c], meanImage[c2])).isFalse();
            }
        }
        List<String> names = ds.classes();
        double circle = fg[names.indexOf("circle")];
        assertThat(circle).isGreaterThan(1.4 * fg[names.indexOf("star")]);
        assertThat(fg[names.indexOf("square")]).isGreaterThan(1.4 * fg[names.indexOf("triangle")]);
        assertThat(circle).isGreaterThan(1.15 * fg[names.indexOf("ring")]);
        double minRed = Arrays.stream(meanRed).min().orElseThrow();
        double maxRed = Arrays.stream(meanRed).max().orElseThrow();
        assertThat(maxRed - minRed).as("mean red per class").isLessThan(25);
    }

    @Test
    void badArgumentsFailClearly() throws IOException {
        assertThatThrownBy(() -> SyntheticDataset.generate(dir.resolve("x"), 1, 32, 5, false, 1))
                .isInstanceOf(GraftException.class).hasMessageContaining("2 to 8 classes");
        assertThatThrownBy(() -> SyntheticDataset.generate(dir.resolve("x"), 9, 32, 5, false, 1))
                .isInstanceOf(GraftException.class).hasMessageContaining("2 to 8 classes");
        assertThatThrownBy(() -> SyntheticDataset.generate(dir.resolve("x"), 2, 15, 5, false, 1))
                .isInstanceOf(GraftException.class).hasMessageContaining("at least 16 pixels");
        assertThatThrownBy(() -> SyntheticDataset.generate(dir.resolve("x"), 2, 32, 0, true, 1))
                .isInstanceOf(GraftException.class).hasMessageContaining("at least 1 image");
        TestImages.text(dir.resolve("full/old.txt"), "x");
        assertThatThrownBy(() -> SyntheticDataset.generate(dir.resolve("full"), 2, 32, 1, false, 1))
                .isInstanceOf(GraftException.class).hasMessageContaining("not empty");
        assertThat(SyntheticDataset.SHAPES).hasSizeGreaterThanOrEqualTo(6);
    }
}
