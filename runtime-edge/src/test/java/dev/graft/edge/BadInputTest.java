package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.image.testing.TestImages;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input (model file, metadata, image, tensor): a clear one-line error, no crash, and the model keeps
 * predicting.
 */
class BadInputTest {
    private static final BufferedImage PICTURE = TestImages.picture(70, 50, 4);

    @Test
    void badModelFilesAreRefusedWithOneLine(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "this is not a model\n", StandardCharsets.UTF_8);
        assertOneLine(() -> EdgeModel.load(text, TestModels.cpu()), EdgeException.class,
                text + " is not an ONNX model");
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        assertOneLine(() -> EdgeModel.load(empty, TestModels.cpu()), EdgeException.class,
                empty + " is empty (0 bytes), not an ONNX model");
        assertOneLine(() -> EdgeModel.load(dir.resolve("missing.onnx"), TestModels.cpu()), EdgeException.class,
                "cannot read the model " + dir.resolve("missing.onnx") + ": no such file");
        byte[] half = java.util.Arrays.copyOf(TestModels.goldenSoftmax(), TestModels.goldenSoftmax().length / 2);
        assertOneLine(() -> EdgeModel.load(half, TestModels.cpu()), EdgeException.class, "");
    }

    @Test
    void badMetadataIsNamed() {
        byte[] good = TestModels.goldenSoftmax();
        assertOneLine(() -> EdgeModel.load(TestModels.withMetadata(good, "graft.format", "2"), TestModels.cpu()),
                EdgeException.class, "the model's metadata is graft.format 2, written by a newer Graft");
        assertOneLine(() -> EdgeModel.load(TestModels.withMetadata(good, "graft.input.size", "big"), TestModels.cpu()),
                EdgeException.class, "bad graft.input.size 'big'");
        assertOneLine(() -> EdgeModel.load(TestModels.withMetadata(good, "graft.task", "ranking"), TestModels.cpu()),
                EdgeException.class, "unknown graft.task 'ranking'");
        assertOneLine(() -> EdgeModel.load(TestModels.withMetadata(good, "graft.labels", "a\nb"), TestModels.cpu()),
                EdgeException.class, "graft.labels has 2 label(s) for 3 output(s)");
    }

    @Test
    void aModelWithoutGraftMetadataRunsAndSaysWhatItAssumes() {
        try (EdgeModel plain = EdgeModel.load(TestModels.withoutMetadata(TestModels.goldenSoftmax()), TestModels.cpu())) {
            assertThat(plain.metadata().hasGraftMetadata()).isFalse();
            assertThat(plain.metadata().assumptions()).singleElement().asString()
                    .startsWith("the model has no Graft metadata (graft.*): assuming RGB input at 224x224")
                    .contains("ImageNet mean/std", "centre crop", "classes named by index");
            assertThat(plain.inputHeight()).isEqualTo(224);
            assertThat(plain.labels()).containsExactly("0", "1", "2");
            Prediction p = plain.predict(PICTURE);
            assertThat(p.answer()).hasSize(3);
            float sum = 0;
            for (float v : p.scores()) {
                sum += v;
            }
            assertThat(sum).isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-5f));
            // the graph ends in softmax: its rows are read as they are, the same numbers the Graft export gives
            try (EdgeModel graft = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
                float[] tensor = new float[3 * 224 * 224];
                for (int i = 0; i < tensor.length; i++) {
                    tensor[i] = (float) Math.sin(i * 0.01);
                }
                assertThat(plain.predict(tensor).scores()).containsExactly(graft.runTensor(tensor, 1, 224, 224));
            }
        }
    }

    @Test
    void badImagesAndTensorsFailAndTheModelKeepsServing(@TempDir Path dir) throws Exception {
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
            float[] expected = model.predict(PICTURE).scores();
            byte[] jpeg = TestImages.encode(PICTURE, "jpeg");
            byte[] png = TestImages.encode(PICTURE, "png");
            Path zero = dir.resolve("zero.jpg");
            Files.write(zero, new byte[0]);
            Path bomb = dir.resolve("bomb.png");
            Files.write(bomb, TestImages.pngClaiming(100_000, 100_000));
            List<ThrowingCallable> bad = List.of(
                    () -> model.predict(TestImages.truncated(jpeg, 0.5)),
                    () -> model.predict(TestImages.truncated(png, 0.5)),
                    () -> model.predict(new byte[0]),
                    () -> model.predict(zero),
                    () -> model.predict(dir.resolve("missing.jpg")),
                    () -> model.predict(bomb),
                    () -> model.predict("hello, not an image".getBytes(StandardCharsets.US_ASCII)),
                    () -> model.predict(new float[64 * 64]),
                    () -> model.predict(new float[4 * 64 * 64]),
                    () -> model.runTensor(new float[1 * 64 * 64], 1),
                    () -> model.runTensor(new float[2 * 3 * 64 * 64], 1),
                    () -> model.predictBatch(List.of(EdgeInput.of(png), EdgeInput.of(new byte[0]))));
            List<String> expectedStarts = List.of(
                    "the image is truncated or corrupt (",
                    "the image is truncated or corrupt (",
                    "the image is empty (0 bytes)",
                    zero + ": the image is empty (0 bytes)",
                    "cannot read " + dir.resolve("missing.jpg") + ": no such file",
                    bomb + ": the image is 100000 x 100000 pixels (10000 megapixels), over the limit",
                    "not an image (no JPEG, PNG, BMP, GIF, TIFF or WBMP header)",
                    "the tensor has 4096 floats; the model takes 3 x 64 x 64 = 12288 (channels RGB)",
                    "the tensor has 16384 floats; the model takes 3 x 64 x 64 = 12288",
                    "the tensor has 4096 floats; a batch of 1 x 3 x 64 x 64 needs 12288",
                    "the tensor has 24576 floats; a batch of 1 x 3 x 64 x 64 needs 12288",
                    "input 1 of 2: the image is empty (0 bytes)");
            for (int i = 0; i < bad.size(); i++) {
                assertOneLine(bad.get(i), BadInputException.class, expectedStarts.get(i));
                assertThat(model.predict(PICTURE).scores()).as("after bad input %d", i).containsExactly(expected);
            }
            // any size the graph accepts runs, down to one pixel
            assertThat(model.runTensor(new float[3], 1, 1, 1)).hasSize(3);
            assertThat(model.predict(PICTURE).scores()).containsExactly(expected);
            // a header that claims an image but is not one is "corrupt", not "not an image"
            assertOneLine(() -> model.predict("GIF89a, not really".getBytes(StandardCharsets.US_ASCII)),
                    BadInputException.class, "the image is truncated or corrupt");
        }
    }

    @Test
    void aClosedModelSaysSo() {
        EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu());
        model.close();
        model.close();
        assertOneLine(() -> model.predict(PICTURE), EdgeException.class, "the model is closed");
    }

    private static void assertOneLine(ThrowingCallable call, Class<? extends Throwable> type, String start) {
        assertThatThrownBy(call).isInstanceOf(type).hasMessageStartingWith(start)
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContain("\n").isNotBlank();
                    System.out.println("  " + e.getMessage());
                });
    }
}
