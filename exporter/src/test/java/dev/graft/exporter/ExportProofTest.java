package dev.graft.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parity gate: a verified export is written only when ONNX Runtime agrees with the reference model. The plain-Java
 * {@link SpecInterpreter} stands in for the trainer's DJL model.
 */
class ExportProofTest {
    private static Network net;
    private static Map<String, Tensor> weights;
    private static ExportOptions options;
    private static SpecInterpreter reference;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        net = TestModels.resnet18();
        weights = TestModels.randomWeights(net, 9);
        // A small training size keeps the plain-Java reference quick; the default proof runs at the training size.
        options = TestModels.options(net, weights).optInputSize(40, 40).build();
        reference = new SpecInterpreter(net, weights);
    }

    @Test
    void aFaithfulExportIsWrittenWithItsFigures() {
        Path out = dir.resolve("model.onnx");

        ExportProof.Result r = ExportProof.exportVerified(options, reference, out);

        System.out.printf("proof: max |diff| %.3g at batch %d, %dx%d; %d nodes %s%n", r.maxAbsDiff(), r.batch(),
                r.height(), r.width(), r.nodeCount(), r.opHistogram());
        assertThat(r.passed()).isTrue();
        assertThat(r.maxAbsDiff()).isLessThanOrEqualTo(ExportProof.DEFAULT_TOLERANCE);
        assertThat(r.tolerance()).isEqualTo(ExportProof.DEFAULT_TOLERANCE);
        assertThat(r.batch()).isEqualTo(ExportProof.DEFAULT_BATCH);
        assertThat(r.height()).isEqualTo(40);
        assertThat(r.nodeCount()).isEqualTo(54);
        assertThat(r.opHistogram()).containsEntry("Conv", 20);
        ModelProto written = OnnxFiles.read(out);
        assertThat(OnnxExporter.metadata(written)).containsEntry(GraftMetadata.TASK, "single_label");
        assertThat(written).isEqualTo(OnnxExporter.export(options));
    }

    @Test
    void aWrongExportIsRefusedWithTheFigureAndTheOldFileSurvives() throws IOException {
        Path out = dir.resolve("model.onnx");
        Files.writeString(out, "previous good export");
        ReferenceForward drifted = (x, n, c, h, w) -> {
            float[] y = reference.forward(x, n, c, h, w);
            y[1] += 0.5f;
            return y;
        };

        assertThatThrownBy(() -> ExportProof.exportVerified(options, drifted, 3, 1, 32, 32, 1e-4, out))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("largest difference")
                .hasMessageContaining("exceeds the tolerance 0.000100")
                .hasMessageContaining("nothing was written")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(Files.readString(out)).isEqualTo("previous good export");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test
    void verifyReportsWithoutThrowingAndIsReproducible() {
        ModelProto model = OnnxExporter.export(options);
        ReferenceForward drifted = (x, n, c, h, w) -> {
            float[] y = reference.forward(x, n, c, h, w);
            y[0] += 1f;
            return y;
        };
        ExportProof.Result bad = ExportProof.verify(model, drifted, 1, 1, 24, 24, 1e-4);
        assertThat(bad.passed()).isFalse();
        assertThat(bad.maxAbsDiff()).isGreaterThan(0.01);

        ExportProof.Result a = ExportProof.verify(model, reference, 1, 1, 24, 24, 1e-4);
        ExportProof.Result b = ExportProof.verify(model, reference, 1, 1, 24, 24, 1e-4);
        assertThat(a.maxAbsDiff()).isEqualTo(b.maxAbsDiff());
    }

    @Test
    void aReferenceWithTheWrongOutputCountOrAForeignModelIsAnError() {
        ModelProto model = OnnxExporter.export(options);
        assertThatThrownBy(() -> ExportProof.verify(model, (x, n, c, h, w) -> new float[n * 2], 1, 2, 24, 24, 1e-4))
                .isInstanceOf(GraftException.class).hasMessageContaining("returned 4 values for a batch of 2");
        ModelProto foreign = model.toBuilder().clearMetadataProps().build();
        assertThatThrownBy(() -> ExportProof.verify(foreign, reference, 1, 1, 24, 24, 1e-4))
                .isInstanceOf(GraftException.class).hasMessageContaining("not a Graft export");
    }
}
