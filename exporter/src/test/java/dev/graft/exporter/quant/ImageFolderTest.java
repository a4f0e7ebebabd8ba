package dev.graft.exporter.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.image.ResizeMethod;
import dev.graft.models.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    private static final ImagePreprocessor PRE = ImagePreprocessor.of(32, 32, ResizeMethod.CROP,
            List.of(0.5, 0.5, 0.5), List.of(0.25, 0.25, 0.25), "RGB");

    @TempDir
    Path dir;

    @Test
    void calibrationSamplesEveryClassReproducibly() throws Exception {
        Path images = QuantFixtures.writeImages(dir.resolve("train"), 10, 32, 1);
        Files.writeString(images.resolve("circle").resolve("notes.txt"), "not an image");
        Files.createDirectories(images.resolve(".cache"));
        QuantFixtures.writeImages(images.resolve(".cache"), 1, 32, 2); // hidden: ignored
        CalibrationData a = ImageFolder.calibration(images, 12, PRE);
        CalibrationData b = ImageFolder.calibration(images, 12, PRE);
        assertThat(a.size()).isEqualTo(12);
        assertThat(a.describe()).isEqualTo("12 images from " + images);
        float[] x = new float[12 * PRE.floatsPerImage()];
        float[] y = new float[12 * PRE.floatsPerImage()];
        for (int i = 0; i < 12; i++) {
            a.read(i, x, i * PRE.floatsPerImage());
            b.read(i, y, i * PRE.floatsPerImage());
        }
        assertThat(x).isEqualTo(y);
        // Files sort by class, so the first 12 would be circles and squares only; the fixed-seed sample mixes all three.
        List<ImageFolder.Labelled> all = ImageFolder.labelled(images, QuantFixtures.LABELS);
        assertThat(all).hasSize(30);
        java.util.Set<Integer> sampled = new java.util.HashSet<>();
        for (int i = 0; i < 12; i++) {
            float[] one = java.util.Arrays.copyOfRange(x, i * PRE.floatsPerImage(), (i + 1) * PRE.floatsPerImage());
            for (ImageFolder.Labelled l : all) {
                if (java.util.Arrays.equals(PRE.read(l.file()), one)) {
                    sampled.add(l.label());
                }
            }
        }
        assertThat(sampled).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void badCalibrationFoldersGetOneLineErrors() throws Exception {
        assertThatThrownBy(() -> ImageFolder.calibration(dir.resolve("nope"), 8, PRE))
                .isInstanceOf(GraftException.class).hasMessage("the calibration folder " + dir.resolve("nope")
                        + " does not exist");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("readme.txt"), "no images here");
        assertThatThrownBy(() -> ImageFolder.calibration(empty, 8, PRE)).isInstanceOf(GraftException.class)
                .hasMessage("the calibration folder " + empty + " holds no images (JPEG, PNG, BMP or GIF)");
        Path few = QuantFixtures.writeImages(dir.resolve("few"), 3, 32, 1);
        assertThatThrownBy(() -> ImageFolder.calibration(few, 256, PRE)).isInstanceOf(GraftException.class)
                .hasMessage("calibration needs 256 images but " + few + " holds only 9; add images or lower the"
                        + " calibration count (--calibration-count)");
        assertThatThrownBy(() -> ImageFolder.calibration(few, 4, PRE)).isInstanceOf(GraftException.class)
                .hasMessage("calibration needs at least 8 images, not 4");
        Path small = QuantFixtures.writeImages(dir.resolve("small"), 3, 12, 1);
        assertThatThrownBy(() -> ImageFolder.calibration(small, 8, PRE)).isInstanceOf(GraftException.class)
                .hasMessageContaining("is 12x12, less than half the model's input 32x32")
                .hasMessageNotContaining("\n");
        Path broken = QuantFixtures.writeImages(dir.resolve("broken"), 3, 32, 1);
        Files.writeString(broken.resolve("square").resolve("square_001.png"), "truncated");
        assertThatThrownBy(() -> ImageFolder.calibration(broken, 9, PRE)).isInstanceOf(GraftException.class)
                .hasMessageContaining("square_001.png");
        Path file = Files.writeString(dir.resolve("file.png"), "x");
        assertThatThrownBy(() -> ImageFolder.calibration(file, 8, PRE)).isInstanceOf(GraftException.class)
                .hasMessageEndingWith("is not a folder");
    }

    @Test
    void evaluationFoldersAreLabelledByTheModelsLabels() throws Exception {
        Path valid = QuantFixtures.writeImages(dir.resolve("valid"), 2, 32, 3);
        List<ImageFolder.Labelled> all = ImageFolder.labelled(valid, QuantFixtures.LABELS);
        assertThat(all).hasSize(6);
        assertThat(all).extracting(ImageFolder.Labelled::label).containsExactly(0, 0, 1, 1, 2, 2);
        assertThatThrownBy(() -> ImageFolder.labelled(valid, List.of("circle", "square")))
                .isInstanceOf(GraftException.class)
                .hasMessage("evaluation folder " + valid + " has a class folder 'triangle' that is not one of the"
                        + " model's labels [circle, square]");
        Path flat = Files.createDirectories(dir.resolve("flat"));
        Files.copy(all.get(0).file(), flat.resolve("a.png"));
        assertThatThrownBy(() -> ImageFolder.labelled(flat, QuantFixtures.LABELS)).isInstanceOf(GraftException.class)
                .hasMessageContaining("holds no class folders of images");
    }

    @Test
    void calibrationRefusesAnImageOverTheByteCapBeforeReadingIt() throws Exception {
        Path images = QuantFixtures.writeImages(dir.resolve("cap"), 4, 32, 3);
        Path big = images.resolve("circle").resolve("huge.png");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(dev.graft.files.InputFiles.DEFAULT_MAX_IMAGE_BYTES + 1); // sparse: no disk, no time
        }
        assertThatThrownBy(() -> ImageFolder.calibration(images, 13, PRE)).isInstanceOf(GraftException.class)
                .hasMessage("image " + big + " is 64.0 MiB (67108865 bytes), over the limit of 64 MiB");
        // a lower cap refuses the ordinary images too, a higher one lets the big file through to the decoder
        long small = Files.size(images.resolve("circle").resolve(Files.list(images.resolve("circle"))
                .filter(p -> !p.equals(big)).findFirst().orElseThrow().getFileName()));
        assertThatThrownBy(() -> ImageFolder.calibration(images, 12, PRE.withMaxImageBytes(small - 1)))
                .isInstanceOf(GraftException.class).hasMessageContaining("over the limit of");
        assertThat(PRE.withMaxImageBytes(small).maxImageBytes()).isEqualTo(small);
    }
}
