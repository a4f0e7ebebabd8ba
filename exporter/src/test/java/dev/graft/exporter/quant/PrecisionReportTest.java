package dev.graft.exporter.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrecisionReportTest {
    private static final int SIZE = 32;

    @TempDir
    Path dir;

    @Test
    void measuresSizeLatencyAccuracyAndAgreementOfBothModels() {
        Network net = QuantFixtures.resnet18();
        Map<String, Tensor> weights = QuantFixtures.goldenWeights(net);
        Path images = QuantFixtures.writeImages(dir.resolve("images"), 4, SIZE, 1);
        ExportOptions options = QuantFixtures.options(net, weights, SIZE).optPrecision(Precision.INT8)
                .optCalibrationImages(images).optCalibrationCount(12).optCalibrationMethod(CalibrationMethod.MINMAX)
                .build();
        ModelProto fp32 = OnnxExporter.exportFp32(options);
        ModelProto int8 = OnnxExporter.export(options);
        ImagePreprocessor pre = options.imagePreprocessor();
        List<ImageFolder.Labelled> eval = ImageFolder.labelled(images, QuantFixtures.LABELS);
        List<String> stages = new java.util.ArrayList<>();
        PrecisionReport r = PrecisionReport.measure(fp32, int8, 1, List.of(1, 2), eval, pre, "images",
                (stage, done, total) -> stages.add(stage + " " + done + "/" + total));
        r.lines().forEach(System.out::println);

        assertThat(r.precision()).isEqualTo(Precision.INT8);
        assertThat(r.fp32Bytes()).isEqualTo(fp32.getSerializedSize());
        assertThat(r.lowerBytes()).isEqualTo(int8.getSerializedSize());
        assertThat(r.latencies()).extracting(PrecisionReport.Latency::batch).containsExactly(1, 2);
        assertThat(r.latencies()).allMatch(l -> l.fp32Millis() > 0 && l.lowerMillis() > 0 && l.runs() >= 5);
        // The accuracy counts are those of the two models' own argmax, recomputed here.
        PrecisionReport.Accuracy a = r.accuracy().orElseThrow();
        int[] expected = counts(fp32, int8, eval, pre);
        assertThat(new int[] {a.fp32Correct(), a.lowerCorrect(), a.agreed()}).containsExactly(expected);
        assertThat(a.images()).isEqualTo(12);
        assertThat(stages).contains("timing 2/2", "evaluating 12/12");
        assertThat(r.integerKernels().orElseThrow().convolutions()).isEqualTo(20);
        assertThat(r.integerKernels().orElseThrow().integerConvolutions()).isEqualTo(20);
        assertThat(r.lines()).hasSize(5);
        assertThat(r.lines().get(0)).startsWith("integer kernels: ONNX Runtime runs 20 of 20 convolutions as integer"
                + " kernels (QLinearConv 20, ");
        assertThat(r.lines().get(1)).startsWith("size: fp32 ").contains("-> int8 ");
        assertThat(r.lines().get(4)).startsWith("accuracy on 12 images of images: fp32 top-1 ");
    }

    @Test
    void accuracyNeedsASingleLabelModel() {
        Network net = QuantFixtures.resnet18();
        Map<String, Tensor> weights = QuantFixtures.goldenWeights(net);
        Path images = QuantFixtures.writeImages(dir.resolve("images"), 1, SIZE, 1);
        ExportOptions options = QuantFixtures.options(net, weights, SIZE).optTask(Task.MULTI_LABEL)
                .optPrecision(Precision.FP16).build();
        ModelProto fp32 = OnnxExporter.exportFp32(options);
        ModelProto fp16 = OnnxExporter.export(options);
        List<ImageFolder.Labelled> eval = ImageFolder.labelled(images, QuantFixtures.LABELS);
        assertThatThrownBy(() -> PrecisionReport.measure(fp32, fp16, 1, List.of(), eval, options.imagePreprocessor(),
                "images", QuantProgress.NONE)).isInstanceOf(GraftException.class)
                .hasMessage("top-1 accuracy needs a single-label model; this one is multi_label");
    }

    private static int[] counts(ModelProto a, ModelProto b, List<ImageFolder.Labelled> eval, ImagePreprocessor pre) {
        int[] out = new int[3];
        try (OrtRunner ra = OrtRunner.open(a, OptLevel.ALL_OPT); OrtRunner rb = OrtRunner.open(b, OptLevel.ALL_OPT)) {
            for (ImageFolder.Labelled l : eval) {
                long[] shape = {1, 3, SIZE, SIZE};
                int ya = argmax(ra.run(GraftMetadata.INPUT_NAME, pre.read(l.file()), shape, GraftMetadata.OUTPUT_NAME));
                int yb = argmax(rb.run(GraftMetadata.INPUT_NAME, pre.read(l.file()), shape, GraftMetadata.OUTPUT_NAME));
                out[0] += ya == l.label() ? 1 : 0;
                out[1] += yb == l.label() ? 1 : 0;
                out[2] += ya == yb ? 1 : 0;
            }
        }
        return out;
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int k = 1; k < p.length; k++) {
            if (p[k] > p[best]) {
                best = k;
            }
        }
        return best;
    }
}
