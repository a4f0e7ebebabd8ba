package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.image.ResizeMethod;
import dev.graft.exporter.quant.ImagePreprocessor;
import dev.graft.trainer.data.ImageDecoder;
import dev.graft.trainer.data.ImageTransforms;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Int8 calibration reads images with the exporter's own small preprocessor (the exporter may not depend on the
 * trainer); for fastai's default resize it must produce what the trainer's validation transform produced while the
 * model was validated, or calibration would measure activations of inputs the model never sees.
 */
class CalibrationPreprocessingTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}x{1} to {2}")
    @CsvSource({"64, 64, 64", "100, 80, 64", "80, 100, 64", "300, 200, 64", "517, 389, 224", "40, 30, 64"})
    void cropMatchesTheTrainersValidationTransform(int w, int h, int size) throws Exception {
        Random r = new Random(w * 31L + h);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int smooth = (x * 255 / w) << 16 | (y * 255 / h) << 8 | ((x + y) * 127 / (w + h));
                img.setRGB(x, y, r.nextInt(8) == 0 ? r.nextInt(0x1000000) : smooth);
            }
        }
        Path file = dir.resolve("img.png");
        ImageIO.write(img, "png", file.toFile());
        float[] trainer = ImageTransforms.imagenet(size).valid(ImageDecoder.decode(file));
        float[] exporter = ImagePreprocessor.of(size, size, ResizeMethod.CROP, List.of(0.485, 0.456, 0.406),
                List.of(0.229, 0.224, 0.225), "RGB").read(file);
        double max = 0;
        for (int i = 0; i < trainer.length; i++) {
            max = Math.max(max, Math.abs(trainer[i] - exporter[i]));
        }
        assertThat(exporter).hasSameSizeAs(trainer);
        assertThat(max).isLessThan(1e-5);
    }
}
