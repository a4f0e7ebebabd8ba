package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.image.ResizeMethod;
import dev.graft.image.testing.TestImages;
import dev.graft.exporter.Activation;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.models.checkpoint.Task;
import java.awt.image.BufferedImage;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runtime reads what the exporter writes, and reads each task's output the way the task means. */
class MetadataTest {
    private static final BufferedImage PICTURE = TestImages.picture(80, 72, 8);

    @Test
    void theKeysAreTheExportersKeys() throws Exception {
        int checked = 0;
        for (Field f : GraftMetadata.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                Field mine = MetadataKeys.class.getField(f.getName());
                assertThat(mine.get(null)).as(f.getName()).isEqualTo(f.get(null));
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(22);
        assertThat(MetadataKeys.class.getFields()).hasSize(checked);
        for (ResizeMethod m : ResizeMethod.values()) { // one enum now, shared through the image module
            assertThat(ResizeMethod.fromMetadata(m.metadataValue()).name()).isEqualTo(m.name());
        }
        for (Task t : Task.values()) {
            assertThat(dev.graft.edge.Task.fromMetadata(t.name().toLowerCase(java.util.Locale.ROOT)).name())
                    .isEqualTo(t.name());
        }
    }

    @Test
    void aGraftExportDescribesItselfCompletely() {
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
            ModelMetadata m = model.metadata();
            assertThat(m.assumptions()).isEmpty();
            assertThat(m.task()).isEqualTo(dev.graft.edge.Task.SINGLE_LABEL);
            assertThat(m.activationName()).isEqualTo("softmax");
            assertThat(m.labels()).containsExactly("cat", "dog", "fish");
            assertThat(model.inputHeight()).isEqualTo(64);
            assertThat(model.inputWidth()).isEqualTo(64);
            assertThat(model.inputChannels()).isEqualTo(3);
            assertThat(model.numOutputs()).isEqualTo(3);
            assertThat(m.resize()).isEqualTo(ResizeMethod.CROP);
            assertThat(m.mean()).containsExactly(0.485f, 0.456f, 0.406f);
            assertThat(m.std()).containsExactly(0.229f, 0.224f, 0.225f);
            assertThat(m.channels()).isEqualTo("RGB");
            assertThat(model.precision()).isEqualTo("fp32");
            assertThat(m.arch()).isEqualTo("resnet18");
            assertThat(m.graftKeys()).containsKeys(GraftMetadata.KEYS.stream()
                    .filter(k -> !k.equals(GraftMetadata.SOURCE) && !k.equals(GraftMetadata.THRESHOLD)).toArray(String[]::new));
            assertThat(model.runtimeVersion()).isEqualTo("1.28.0");
        }
    }

    @Test
    void multiLabelListsWhatIsAboveTheModelsThreshold() {
        float[] scores;
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSigmoid(), TestModels.cpu())) {
            scores = model.predict(PICTURE).scores();
        }
        float[] sorted = scores.clone();
        java.util.Arrays.sort(sorted);
        // a threshold between the lowest and the middle score keeps exactly two labels
        float threshold = (sorted[0] + sorted[1]) / 2;
        byte[] onnx = TestModels.withMetadata(TestModels.goldenSigmoid(), "graft.threshold", Float.toString(threshold));
        try (EdgeModel model = EdgeModel.load(onnx, TestModels.cpu())) {
            Prediction p = model.predict(PICTURE);
            assertThat(p.task()).isEqualTo(dev.graft.edge.Task.MULTI_LABEL);
            assertThat(p.answer()).hasSize(2).extracting(LabelScore::score).containsExactly(sorted[2], sorted[1]);
            assertThat(p.top(3)).hasSize(3);
        }
    }

    @Test
    void aGraphWithoutItsActivationGetsItHere() {
        byte[] logits = TestModels.random("none-3", 3, 3, b -> b.optTask(Task.SINGLE_LABEL)
                .optActivation(Activation.NONE).optLabels(List.of("a", "b", "c")));
        try (EdgeModel model = EdgeModel.load(logits, TestModels.cpu())) {
            float[] raw = model.runTensor(model.preprocess(PICTURE), 1);
            float[] p = model.predict(PICTURE).scores();
            double max = Math.max(raw[0], Math.max(raw[1], raw[2]));
            double sum = 0;
            for (float v : raw) {
                sum += Math.exp(v - max);
            }
            for (int i = 0; i < 3; i++) {
                assertThat(p[i]).isCloseTo((float) (Math.exp(raw[i] - max) / sum), within(1e-6f));
            }
        }
        byte[] multi = TestModels.random("none-multi", 4, 3, b -> b.optTask(Task.MULTI_LABEL)
                .optActivation(Activation.NONE));
        try (EdgeModel model = EdgeModel.load(multi, TestModels.cpu())) {
            float[] raw = model.runTensor(model.preprocess(PICTURE), 1);
            float[] p = model.predict(PICTURE).scores();
            for (int i = 0; i < 4; i++) {
                assertThat(p[i]).isCloseTo((float) (1 / (1 + Math.exp(-raw[i]))), within(1e-6f));
            }
        }
    }

    @Test
    void regressionGivesEveryValueInOrder() {
        byte[] onnx = TestModels.random("regression-2", 2, 3, b -> b.optTask(Task.REGRESSION)
                .optLabels(List.of("age", "weight")));
        try (EdgeModel model = EdgeModel.load(onnx, TestModels.cpu())) {
            float[] raw = model.runTensor(model.preprocess(PICTURE), 1);
            Prediction p = model.predict(PICTURE);
            assertThat(p.task()).isEqualTo(dev.graft.edge.Task.REGRESSION);
            assertThat(p.answer()).extracting(LabelScore::label).containsExactly("age", "weight");
            assertThat(p.answer()).extracting(LabelScore::score).containsExactly(raw[0], raw[1]);
        }
    }

    @Test
    void channelOrderAndGreyModelsAreFedByTheirMetadata() {
        // the golden graph declared BGR (same statistics per input plane): it must see the image with R and B swapped
        byte[] bgr = TestModels.withMetadata(TestModels.goldenSoftmax(), "graft.input.channels", "BGR");
        BufferedImage swapped = new BufferedImage(80, 72, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 72; y++) {
            for (int x = 0; x < 80; x++) {
                int p = PICTURE.getRGB(x, y);
                swapped.setRGB(x, y, (p & 0xFF) << 16 | (p & 0xFF00) | (p >> 16) & 0xFF);
            }
        }
        try (EdgeModel asBgr = EdgeModel.load(bgr, TestModels.cpu());
             EdgeModel asRgb = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
            assertThat(asBgr.predict(PICTURE).scores()).containsExactly(asRgb.predict(swapped).scores());
        }
        byte[] grey = TestModels.random("grey", 3, 1, b -> b.optChannels("L").optMean(List.of(0.5))
                .optStd(List.of(0.25)));
        try (EdgeModel model = EdgeModel.load(grey, TestModels.cpu())) {
            assertThat(model.inputChannels()).isEqualTo(1);
            BufferedImage flat = new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 10; y++) {
                for (int x = 0; x < 10; x++) {
                    flat.setRGB(x, y, 0xC8641E);
                }
            }
            float[] t = model.preprocess(flat);
            assertThat(t).hasSize(64 * 64);
            int luma = (200 * 19595 + 100 * 38470 + 30 * 7471 + 0x8000) >> 16;
            assertThat(t[0]).isCloseTo((float) ((luma / 255.0 - 0.5) / 0.25), within(1e-5f));
            assertThat(model.predict(PICTURE).answer()).hasSize(3);
        }
    }
}
