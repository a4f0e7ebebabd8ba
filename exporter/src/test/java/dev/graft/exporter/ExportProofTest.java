package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
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
import java.util.OptionalDouble;
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

    /** The spec interpreter's double-precision outputs, widened back (what a float64 forward returns). */
    private static double[] exact(float[] x, int n, int c, int h, int w) {
        float[] y = reference.forward(x, n, c, h, w);
        double[] d = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            d[i] = y[i];
        }
        return d;
    }

    @Test
    void theToleranceIsDerivedFromTheModelsOwnFloat32Error() {
        ModelProto model = OnnxExporter.export(options);
        // a float32 forward 3e-3 off in its logits: its probabilities move by about 1e-3, so the tolerance is 4 x that
        TrainedReference noisy = TrainedReference.of((x, n, c, h, w) -> {
            float[] y = reference.forward(x, n, c, h, w);
            y[0] += 3e-3f;
            return y;
        }, ExportProofTest::exact);

        ExportProof.Result r = ExportProof.verify(model, noisy, 1, 2, 24, 24, OptionalDouble.empty());

        assertThat(r.basis()).isEqualTo(ExportProof.Basis.DERIVED);
        assertThat(r.float32Error()).isGreaterThan(1e-4);
        assertThat(r.tolerance()).isEqualTo(ExportProof.SENSITIVITY_FACTOR * r.float32Error());
        assertThat(r.passed()).isTrue();
        assertThat(r.explanation()).contains("float64 forward", "4 x the model's own float32-vs-float64 difference");

        TrainedReference exactly = TrainedReference.of(reference, ExportProofTest::exact);
        ExportProof.Result floor = ExportProof.verify(model, exactly, 1, 2, 24, 24, OptionalDouble.empty());
        assertThat(floor.tolerance()).isEqualTo(ExportProof.TOLERANCE_FLOOR);
        assertThat(floor.toleranceReason()).startsWith("the floor");
        ExportProof.Result given = ExportProof.verify(model, noisy, 1, 2, 24, 24, OptionalDouble.of(1e-9));
        assertThat(given.basis()).isEqualTo(ExportProof.Basis.GIVEN);
        assertThat(given.passed()).isFalse();
        assertThat(ExportProof.derivedTolerance(1)).isEqualTo(ExportProof.TOLERANCE_CEILING);
        assertThat(ExportProof.derivedTolerance(Double.NaN)).isEqualTo(ExportProof.TOLERANCE_FLOOR);
    }

    @Test
    void aDifferentTopClassIsRefusedWhenTheLeadExceedsTheTolerance() throws IOException {
        ModelProto model = OnnxExporter.export(options);
        float[] x = TestModels.gaussian(ExportProof.DEFAULT_SEED, 1 * 3 * 24 * 24);
        float[] p = TestModels.run(model, ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT, x, 1, 3, 24, 24)
                .get(GraftMetadata.OUTPUT_NAME).data();
        int top = 0;
        for (int k = 1; k < p.length; k++) {
            top = p[k] > p[top] ? k : top;
        }
        int second = top == 0 ? 1 : 0;
        for (int k = 0; k < p.length; k++) {
            second = k != top && p[k] > p[second] ? k : second;
        }
        // the reference's top class is the export's second: every probability within p[top], the lead beyond it
        double[] q = new double[p.length];
        for (int k = 0; k < p.length; k++) {
            q[k] = p[k];
        }
        q[second] += q[top] - 1e-9;
        q[top] = 1e-9;
        double[] logits = java.util.Arrays.stream(q).map(Math::log).toArray();
        int expectedTop = top;
        int expectedSecond = second;
        TrainedReference swapped = TrainedReference.of(reference, (in, n, c, h, w) -> logits.clone());
        Path out = dir.resolve("model.onnx");

        assertThatThrownBy(() -> ExportProof.proveAndWrite(model, options, swapped, ExportProof.DEFAULT_SEED, 1, 24,
                24, OptionalDouble.of(p[expectedTop]), out))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("ranks class " + expectedTop + " first where the trained model ranks class "
                        + expectedSecond)
                .hasMessageContaining("nothing was written");
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }
}
