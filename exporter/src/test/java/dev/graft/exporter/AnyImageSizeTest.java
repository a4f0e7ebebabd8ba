package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.spec.Network;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** One file, trained at 224, serves other image sizes and batch sizes: the symbolic dimensions are real. */
class AnyImageSizeTest {
    @Test
    void runsAt160And320WithBatch1And3() {
        Network net = TestModels.resnet18();
        ModelProto model = OnnxExporter.export(TestModels.options(net, TestModels.randomWeights(net, 3))
                .optInputSize(224, 224).build());
        assertThat(OnnxExporter.metadata(model)).containsEntry(GraftMetadata.INPUT_SIZE, "224,224");
        try (OrtRunner ort = OrtRunner.open(model, OptLevel.ALL_OPT)) {
            for (int size : new int[] {160, 320}) {
                float[] three = TestModels.gaussian(size, 3 * 3 * size * size);
                FloatTensor batch3 = ort.runAll(GraftMetadata.INPUT_NAME, three, new long[] {3, 3, size, size})
                        .get(GraftMetadata.OUTPUT_NAME);
                assertThat(batch3.shape()).containsExactly(3, 3);
                for (int r = 0; r < 3; r++) {
                    float sum = batch3.data()[r * 3] + batch3.data()[r * 3 + 1] + batch3.data()[r * 3 + 2];
                    assertThat(sum).as("softmax row %d at %d px", r, size).isCloseTo(1f, within(1e-5f));
                }
                // Each image's answer does not depend on its batch: the second image alone gives the same row.
                int plane = 3 * size * size;
                float[] second = Arrays.copyOfRange(three, plane, 2 * plane);
                FloatTensor batch1 = ort.runAll(GraftMetadata.INPUT_NAME, second, new long[] {1, 3, size, size})
                        .get(GraftMetadata.OUTPUT_NAME);
                assertThat(batch1.shape()).containsExactly(1, 3);
                assertThat(batch1.data()).containsExactly(Arrays.copyOfRange(batch3.data(), 3, 6), within(1e-5f));
            }
            float[] wide = TestModels.gaussian(9, 3 * 96 * 160);
            assertThat(ort.runAll(GraftMetadata.INPUT_NAME, wide, new long[] {1, 3, 96, 160})
                    .get(GraftMetadata.OUTPUT_NAME).shape()).containsExactly(1, 3);
        }
    }
}
