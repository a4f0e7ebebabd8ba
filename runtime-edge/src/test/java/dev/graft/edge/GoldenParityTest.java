package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.OrtRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * EdgeModel gives the exporter's verified outputs: PyTorch's golden probabilities for the golden inputs, and exactly
 * what the exporter's own ONNX Runtime check computes for the same file and tensors.
 */
class GoldenParityTest {
    private static final int N = 4;
    private static final int PER = 3 * 64 * 64;

    @ParameterizedTest
    @ValueSource(strings = {"softmax", "sigmoid"})
    void rawTensorsReproduceTheExportersOutputs(String activation) {
        byte[] onnx = TestModels.goldenModel(activation);
        String name = "resnet18_c3_64_" + activation;
        float[] input = TestModels.goldenFloats(name + ".input.bin");
        float[] pytorch = TestModels.goldenFloats(name + ".output.bin");
        float[] exporter;
        try (OrtRunner ort = OrtRunner.open(onnx, OptLevel.ALL_OPT)) {
            exporter = ort.run(GraftMetadata.INPUT_NAME, input, new long[] {N, 3, 64, 64}, GraftMetadata.OUTPUT_NAME);
        }
        try (EdgeModel model = EdgeModel.load(onnx, TestModels.cpu())) {
            float[] edge = model.runTensor(input, N);
            System.out.printf("golden %s: EdgeModel vs exporter's ORT %.3g, vs PyTorch %.3g%n", activation,
                    TestModels.maxAbsDiff(edge, exporter), TestModels.maxAbsDiff(edge, pytorch));
            assertThat(TestModels.maxAbsDiff(edge, exporter)).isLessThanOrEqualTo(1e-6);
            assertThat(TestModels.maxAbsDiff(edge, pytorch)).isLessThanOrEqualTo(2e-5);

            List<EdgeInput> batch = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                batch.add(EdgeInput.ofTensor(Arrays.copyOfRange(input, i * PER, (i + 1) * PER)));
            }
            List<Prediction> predictions = model.predictBatch(batch);
            for (int i = 0; i < N; i++) {
                float[] row = Arrays.copyOfRange(exporter, i * 3, i * 3 + 3);
                Prediction p = predictions.get(i);
                assertThat(TestModels.maxAbsDiff(p.scores(), row)).isLessThanOrEqualTo(1e-6);
                // one at a time gives the same numbers as the batch
                assertThat(TestModels.maxAbsDiff(model.predict(batch.get(i) instanceof EdgeInput.Tensor t ? t.chw()
                        : null).scores(), row)).isLessThanOrEqualTo(1e-6);
                int best = argmax(row);
                assertThat(p.best().index()).isEqualTo(best);
                assertThat(p.best().label()).isEqualTo(List.of("cat", "dog", "fish").get(best));
                if (activation.equals("softmax")) {
                    assertThat(p.task()).isEqualTo(Task.SINGLE_LABEL);
                    assertThat(p.answer()).hasSize(3).extracting(LabelScore::index).first().isEqualTo(best);
                } else {
                    assertThat(p.task()).isEqualTo(Task.MULTI_LABEL);
                    assertThat(p.answer()).allSatisfy(s -> assertThat(s.score()).isGreaterThanOrEqualTo(0.5f));
                    long above = 0;
                    for (float v : row) {
                        above += v >= 0.5f ? 1 : 0;
                    }
                    assertThat(p.answer()).hasSize((int) above);
                }
                assertThat(p.device()).isEqualTo(Device.CPU);
            }
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
