package dev.graft.exporter.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.image.ResizeMethod;
import dev.graft.models.GraftException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagePreprocessorTest {
    private static final List<Double> ZERO = List.of(0.0, 0.0, 0.0);
    private static final List<Double> ONE = List.of(1.0, 1.0, 1.0);

    @TempDir
    Path dir;

    /** A wide image: red left quarter, green middle half, blue right quarter. */
    private static BufferedImage stripes(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, x < w / 4 ? 0xFF0000 : x < 3 * w / 4 ? 0x00FF00 : 0x0000FF);
            }
        }
        return img;
    }

    private static float at(float[] chw, int c, int y, int x, int h, int w) {
        return chw[(c * h + y) * w + x];
    }

    @Test
    void cropKeepsTheCentreAndSquishKeepsEverything() {
        BufferedImage img = stripes(80, 40);
        float[] crop = new float[3 * 8 * 8];
        ImagePreprocessor.of(8, 8, ResizeMethod.CROP, ZERO, ONE, "RGB").preprocess(img, crop, 0);
        // The centred 40x40 window is all green.
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                assertThat(at(crop, 1, y, x, 8, 8)).isEqualTo(1f);
                assertThat(at(crop, 0, y, x, 8, 8)).isZero();
            }
        }
        float[] squish = new float[3 * 8 * 8];
        ImagePreprocessor.of(8, 8, ResizeMethod.SQUISH, ZERO, ONE, "RGB").preprocess(img, squish, 0);
        assertThat(at(squish, 0, 4, 0, 8, 8)).isEqualTo(1f); // red at the left edge
        assertThat(at(squish, 2, 4, 7, 8, 8)).isEqualTo(1f); // blue at the right edge
        assertThat(at(squish, 1, 4, 4, 8, 8)).isEqualTo(1f);
    }

    @Test
    void padMirrorsTheImageIntoTheBorders() {
        // 40 wide, 80 tall: fitted into 8x8 it is 4 wide, with 2 columns mirrored on each side.
        BufferedImage tall = new BufferedImage(40, 80, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 80; y++) {
            for (int x = 0; x < 40; x++) {
                tall.setRGB(x, y, x < 10 ? 0xFF0000 : 0x0000FF);
            }
        }
        float[] pad = new float[3 * 8 * 8];
        ImagePreprocessor.of(8, 8, ResizeMethod.PAD, ZERO, ONE, "RGB").preprocess(tall, pad, 0);
        // Output columns 2..5 show the image: column 2 is its red left quarter, 3..5 blue.
        assertThat(at(pad, 0, 4, 2, 8, 8)).isEqualTo(1f);
        assertThat(at(pad, 2, 4, 4, 8, 8)).isEqualTo(1f);
        // The borders mirror the image, never black. The reflection is runtime-edge's (about the reduced image's
        // outermost pixel centres, like numpy's "reflect"), so output column 1 mirrors the reduced column 1, blue.
        assertThat(at(pad, 2, 4, 1, 8, 8)).isEqualTo(1f);
        assertThat(at(pad, 2, 4, 7, 8, 8)).isEqualTo(1f);
    }

    @Test
    void normalisesPerChannelInTheMetadataOrder() {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                img.setRGB(x, y, 0x336699); // R 51, G 102, B 153
            }
        }
        float[] rgb = new float[3 * 4 * 4];
        ImagePreprocessor.of(4, 4, ResizeMethod.CROP, List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225),
                "RGB").preprocess(img, rgb, 0);
        assertThat(rgb[0]).isCloseTo((float) ((51 / 255.0 - 0.485) / 0.229), within(1e-6f));
        assertThat(rgb[16]).isCloseTo((float) ((102 / 255.0 - 0.456) / 0.224), within(1e-6f));
        float[] bgr = new float[3 * 4 * 4];
        ImagePreprocessor.of(4, 4, ResizeMethod.CROP, ZERO, ONE, "BGR").preprocess(img, bgr, 0);
        assertThat(bgr[0]).isCloseTo(153 / 255f, within(1e-6f));
        float[] grey = new float[16];
        ImagePreprocessor.of(4, 4, ResizeMethod.CROP, List.of(0.0), List.of(1.0), "L").preprocess(img, grey, 0);
        assertThat(grey[0]).isCloseTo(Math.round(51 * 0.299 + 102 * 0.587 + 153 * 0.114) / 255f, within(1e-6f));
    }

    @Test
    void greyPngsAreReadFromTheirSamplesNotBrightened() throws Exception {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 64);
        for (int i = 1; i < 16; i++) {
            img.getRaster().setSample(i % 4, i / 4, 0, 64);
        }
        Path file = dir.resolve("grey.png");
        ImageIO.write(img, "png", file.toFile());
        float[] out = ImagePreprocessor.of(4, 4, ResizeMethod.CROP, ZERO, ONE, "RGB").read(file);
        assertThat(out[0]).isCloseTo(64 / 255f, within(1e-6f));
        assertThat(out[16]).isCloseTo(64 / 255f, within(1e-6f));
    }

    @Test
    void largeImagesAreAveragedDownBeforeSampling() {
        // A 1-pixel checkerboard at 64x64 to 8x8: without the box filter, bilinear sampling at pixel centres would
        // alias to stripes; averaged, every output pixel is grey.
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, (x + y) % 2 == 0 ? 0xFFFFFF : 0x000000);
            }
        }
        float[] out = new float[3 * 8 * 8];
        ImagePreprocessor.of(8, 8, ResizeMethod.SQUISH, ZERO, ONE, "RGB").preprocess(img, out, 0);
        for (float v : out) {
            assertThat(v).isCloseTo(128 / 255f, within(1.5f / 255));
        }
    }

    @Test
    void readsTheSettingsFromAnExportsMetadata() {
        var net = dev.graft.models.arch.VisionModel.builder().setArch("resnet18").setClasses(3).build();
        var options = dev.graft.exporter.ExportOptions.builder().setNetwork(net)
                .setWeights(dev.graft.models.weights.Initializer.init(net, 1)).optInputSize(24, 40)
                .optResize(ResizeMethod.PAD).optMean(List.of(0.1, 0.2, 0.3)).optStd(List.of(0.4, 0.5, 0.6))
                .optChannels("BGR").build();
        var meta = dev.graft.exporter.OnnxExporter.metadata(dev.graft.exporter.OnnxExporter.exportFp32(options));
        BufferedImage img = stripes(50, 70);
        float[] a = new float[3 * 24 * 40];
        float[] b = new float[3 * 24 * 40];
        options.imagePreprocessor().preprocess(img, a, 0);
        ImagePreprocessor fromMeta = ImagePreprocessor.fromMetadata(meta);
        fromMeta.preprocess(img, b, 0);
        assertThat(b).isEqualTo(a);
        assertThat(fromMeta.height()).isEqualTo(24);
        assertThat(fromMeta.width()).isEqualTo(40);
        assertThatThrownBy(() -> ImagePreprocessor.fromMetadata(java.util.Map.of()))
                .isInstanceOf(GraftException.class).hasMessageContaining("no graft.input.size metadata");
    }

    @Test
    void unreadableFilesAreNamed() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.png"), "not a png");
        ImagePreprocessor pre = ImagePreprocessor.of(4, 4, ResizeMethod.CROP, ZERO, ONE, "RGB");
        assertThatThrownBy(() -> pre.read(junk)).isInstanceOf(GraftException.class).hasMessageContaining(junk.toString());
        assertThatThrownBy(() -> ImagePreprocessor.size(junk)).isInstanceOf(GraftException.class)
                .hasMessageContaining("is not a JPEG, PNG, BMP or GIF");
        assertThatThrownBy(() -> pre.read(dir.resolve("missing.png"))).isInstanceOf(GraftException.class)
                .hasMessageContaining("no such file");
        assertThatThrownBy(() -> ImagePreprocessor.of(4, 4, ResizeMethod.CROP, List.of(0.0, 0.0), List.of(1.0, 1.0),
                "XY")).isInstanceOf(GraftException.class).hasMessageContaining("'X'");
    }

    @Test
    @org.junit.jupiter.api.Timeout(20)
    void endlessAndOversizedFilesAreRefusedBeforeTheyAreRead() throws Exception {
        ImagePreprocessor pre = ImagePreprocessor.of(4, 4, ResizeMethod.CROP, ZERO, ONE, "RGB");
        assertThat(pre.maxImageBytes()).isEqualTo(dev.graft.files.InputFiles.DEFAULT_MAX_IMAGE_BYTES);
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(zero), "/dev/zero is missing here");
        assertThatThrownBy(() -> pre.read(zero)).isInstanceOf(GraftException.class)
                .hasMessage("image /dev/zero is a character device, not a regular file; only regular files are read");
        assertThatThrownBy(() -> ImagePreprocessor.size(zero)).isInstanceOf(GraftException.class)
                .hasMessageContaining("is a character device");
        Path fifo = dir.resolve("fifo.png");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        if (p.waitFor() == 0) { // a FIFO without a writer would block the read forever
            assertThatThrownBy(() -> pre.read(fifo)).hasMessageContaining("is a FIFO (named pipe)");
        }
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        Path png = dir.resolve("small.png");
        ImageIO.write(img, "png", png.toFile());
        long size = Files.size(png);
        assertThat(pre.withMaxImageBytes(size).read(png)).hasSize(48);
        assertThatThrownBy(() -> pre.withMaxImageBytes(size - 1).read(png)).isInstanceOf(GraftException.class)
                .hasMessage("image " + png + " is " + size + " bytes, over the limit of " + (size - 1) + " bytes");
        assertThatThrownBy(() -> pre.withMaxImageBytes(0)).isInstanceOf(GraftException.class);
    }
}
