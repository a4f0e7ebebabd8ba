package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.quant.CalibrationData;
import dev.graft.exporter.quant.ImageFolder;
import dev.graft.image.ResizeMethod;
import dev.graft.image.testing.TestImages;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.trainer.data.ImageDecoder;
import dev.graft.trainer.data.ImageTransforms;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every image kind through every path that turns a file into a model input: runtime-edge's inference (the exported
 * model's metadata read back by {@link EdgeModel}), the exporter's int8 calibration (the {@link ImageFolder} data an
 * int8 export measures activations on) and the trainer's validation ({@link ImageTransforms#valid}, fed by the
 * trainer's decoder as its data loader does). The float tensors must be identical, bit for bit: a model is calibrated
 * and validated on exactly the numbers it is served.
 */
class ImagePathParityTest {
    private static final int SIZE = 64;
    private static final BufferedImage PICTURE = TestImages.picture(97, 83, 5);
    private static final Map<String, byte[]> KINDS = new LinkedHashMap<>();

    @TempDir
    static Path dir;

    @BeforeAll
    static void kinds() {
        KINDS.put("rgb.png", TestImages.encode(PICTURE, "png"));
        KINDS.put("rgba.png", TestImages.encode(TestImages.withAlpha(PICTURE), "png"));
        KINDS.put("palette.png", TestImages.encode(TestImages.convert(PICTURE, BufferedImage.TYPE_BYTE_INDEXED), "png"));
        KINDS.put("grey.png", TestImages.encode(TestImages.grey(PICTURE), "png"));
        KINDS.put("grey16.png", TestImages.encode(TestImages.sixteenBit(PICTURE, true), "png"));
        KINDS.put("rgb16.png", TestImages.encode(TestImages.sixteenBit(PICTURE, false), "png"));
        KINDS.put("palette.gif", TestImages.encode(TestImages.convert(PICTURE, BufferedImage.TYPE_BYTE_INDEXED), "gif"));
        KINDS.put("rgb.bmp", TestImages.encode(PICTURE, "bmp"));
        byte[] jpeg = TestImages.encode(PICTURE, "jpeg");
        KINDS.put("rgb.jpg", jpeg);
        for (int o = 1; o <= 8; o++) {
            KINDS.put("exif" + o + ".jpg", TestImages.withExifOrientation(jpeg, o, o % 2 == 0));
        }
        KINDS.put("grey.jpg", TestImages.encode(TestImages.grey(PICTURE), "jpeg"));
        KINDS.put("adobe-cmyk.jpg", TestImages.cmykJpeg(PICTURE, true, false));
        KINDS.put("ycck.jpg", TestImages.cmykJpeg(PICTURE, true, true));
        KINDS.put("plain-cmyk.jpg", TestImages.cmykJpeg(PICTURE, false, false));
        // made by PIL (fastai's decoder), not by Java: see the image module's test resources
        KINDS.put("pil-cmyk.jpg", TestImages.resource("pil-cmyk.jpg"));
        KINDS.put("pil-exif6.jpg", TestImages.resource("pil-exif6.jpg"));
        KINDS.put("pil-rgb.png", TestImages.resource("pil-rgb.png"));
    }

    private static ExportOptions options(Network net, ResizeMethod resize, String channels, List<Double> mean,
            List<Double> std) {
        return ExportOptions.builder().setNetwork(net).setWeights(Initializer.init(net, 1)).optInputSize(SIZE, SIZE)
                .optResize(resize).optChannels(channels).optMean(mean).optStd(std).build();
    }

    private static Path write(Path folder, String name, byte[] bytes) throws IOException {
        Files.createDirectories(folder);
        return Files.write(folder.resolve(name), bytes);
    }

    /**
     * Each kind's tensor from the calibration data an int8 export of {@code options} would read: a folder holding only
     * that image (eight copies, the fewest calibration accepts).
     */
    private static float[] calibration(ExportOptions options, String kind, byte[] bytes) throws IOException {
        Path folder = dir.resolve("calibration-" + options.resize() + options.channels() + "-" + kind);
        for (int i = 0; i < ImageFolder.MIN_CALIBRATION_IMAGES; i++) {
            write(folder, i + "-" + kind, bytes);
        }
        CalibrationData data = ImageFolder.calibration(folder, ImageFolder.MIN_CALIBRATION_IMAGES,
                options.imagePreprocessor());
        float[] out = new float[data.channels() * data.height() * data.width()];
        data.read(0, out, 0);
        return out;
    }

    @Test
    void everyKindGivesTheSameTensorOnEveryPath() throws IOException {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(2).build();
        ExportOptions options = options(net, ResizeMethod.CROP, "RGB", List.of(0.485, 0.456, 0.406),
                List.of(0.229, 0.224, 0.225));
        ImageTransforms trainer = ImageTransforms.imagenet(SIZE);
        try (EdgeModel edge = EdgeModel.load(OnnxExporter.exportFp32(options).toByteArray(), EdgeOptions.defaults())) {
            for (Map.Entry<String, byte[]> kind : KINDS.entrySet()) {
                Path file = write(dir.resolve("files"), kind.getKey(), kind.getValue());
                float[] served = edge.preprocess(kind.getValue());
                float[] calibrated = calibration(options, kind.getKey(), kind.getValue());
                float[] validated = trainer.valid(ImageDecoder.decode(file));
                assertThat(served).as(kind.getKey()).hasSize(3 * SIZE * SIZE);
                assertThat(calibrated).as(kind.getKey() + ": calibration vs inference").containsExactly(served);
                assertThat(validated).as(kind.getKey() + ": validation vs inference").containsExactly(served);
            }
        }
    }

    @Test
    void otherResizeMethodsAndChannelOrdersAgreeBetweenCalibrationAndInference() throws IOException {
        Network rgb = VisionModel.builder().setArch("resnet18").setClasses(2).build();
        Network grey = VisionModel.builder().setArch("resnet18").setClasses(2).optInputChannels(1).build();
        List<ExportOptions> variants = List.of(
                options(rgb, ResizeMethod.SQUISH, "BGR", List.of(0.406, 0.456, 0.485), List.of(0.225, 0.224, 0.229)),
                options(rgb, ResizeMethod.PAD, "RGB", List.of(0.5, 0.5, 0.5), List.of(0.25, 0.25, 0.25)),
                options(grey, ResizeMethod.CROP, "L", List.of(0.45), List.of(0.27)));
        for (ExportOptions options : variants) {
            try (EdgeModel edge = EdgeModel.load(OnnxExporter.exportFp32(options).toByteArray(),
                    EdgeOptions.defaults())) {
                for (String kind : List.of("rgb.png", "rgba.png", "grey16.png", "exif6.jpg", "ycck.jpg",
                        "pil-cmyk.jpg")) {
                    float[] served = edge.preprocess(KINDS.get(kind));
                    float[] calibrated = calibration(options, kind, KINDS.get(kind));
                    assertThat(calibrated).as(options.resize() + " " + options.channels() + " " + kind)
                            .containsExactly(served);
                }
            }
        }
    }
}
