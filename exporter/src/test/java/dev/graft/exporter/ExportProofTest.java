package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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

    /** A trained reference whose float32 forward is the interpreter's with {@code edit} applied to its logits. */
    private static TrainedReference float32Edited(java.util.function.Consumer<float[]> edit) {
        return TrainedReference.of((x, n, c, h, w) -> {
            float[] y = reference.forward(x, n, c, h, w);
            edit.accept(y);
            return y;
        }, ExportProofTest::exact);
    }

    @Test
    void theTolerancesAreDerivedFromTheModelsOwnFloat32LogitError() {
        ModelProto model = OnnxExporter.export(options);
        int classes = options.numOutputs();
        // a float32 forward 3e-3 off in one logit: centred (its mean over the classes removed), 3e-3 * (1 - 1/C)
        TrainedReference noisy = float32Edited(y -> y[0] += 3e-3f);

        ExportProof.Result r = ExportProof.verify(model, noisy, 1, 2, 24, 24, OptionalDouble.empty());

        assertThat(r.basis()).isEqualTo(ExportProof.Basis.DERIVED);
        assertThat(r.centred()).isTrue();
        assertThat(r.float32LogitError()).isCloseTo(3e-3 * (1 - 1.0 / classes), within(1e-6));
        assertThat(r.logitTolerance()).isEqualTo(ExportProof.SENSITIVITY_FACTOR * r.float32LogitError());
        assertThat(r.tolerance()).isEqualTo(ExportProof.TOLERANCE_FLOOR + r.logitTolerance() / 2);
        assertThat(r.logitDiff()).isLessThan(1e-5); // the interpreter and ONNX Runtime: float32 rounding apart
        assertThat(r.passed()).isTrue();
        assertThat(r.explanation()).contains("float64 forward", "logits, centred per image, within",
                "8 x the model's own float32-vs-float64 difference", "probabilities within",
                "what the logit tolerance can move them, plus 1e-05");

        // an error common to every class is invisible to a softmax: no own error, so the floor
        TrainedReference shifted = float32Edited(y -> {
            for (int k = 0; k < classes; k++) {
                y[k] += 0.25f;
            }
        });
        ExportProof.Result floor = ExportProof.verify(model, shifted, 1, 2, 24, 24, OptionalDouble.empty());
        assertThat(floor.float32LogitError()).isLessThan(1e-6);
        assertThat(floor.float32Error()).isLessThan(1e-6);
        assertThat(floor.logitScale()).isPositive();
        assertThat(floor.logitTolerance()).isEqualTo(ExportProof.LOGIT_FLOOR * Math.max(1, floor.logitScale()));
        assertThat(floor.logitToleranceReason()).startsWith("the floor");
        assertThat(floor.passed()).isTrue();

        ExportProof.Result given = ExportProof.verify(model, noisy, 1, 2, 24, 24, OptionalDouble.of(1e-9));
        assertThat(given.basis()).isEqualTo(ExportProof.Basis.GIVEN);
        assertThat(given.tolerance()).isEqualTo(1e-9);
        assertThat(given.passed()).isFalse();
        assertThat(given.explanation()).contains("probabilities within 1.00e-09 (given; logits not judged)");
        assertThat(ExportProof.verify(model, noisy, 1, 2, 24, 24, OptionalDouble.of(1e-3)).passed()).isTrue();

        assertThat(ExportProof.derivedLogitTolerance(1, 3)).isEqualTo(ExportProof.LOGIT_CEILING);
        assertThat(ExportProof.derivedLogitTolerance(Double.NaN, 0.5)).isEqualTo(ExportProof.LOGIT_FLOOR);
        assertThat(ExportProof.derivedLogitTolerance(0, 40)).isEqualTo(40 * ExportProof.LOGIT_FLOOR);
        assertThat(ExportProof.derivedLogitTolerance(3e-5, 40)).isEqualTo(40 * ExportProof.LOGIT_FLOOR);
        assertThat(ExportProof.derivedLogitTolerance(1e-3, 40)).isEqualTo(ExportProof.SENSITIVITY_FACTOR * 1e-3);
        assertThat(ExportProof.logitFloor(Double.NaN)).isEqualTo(ExportProof.LOGIT_FLOOR);
        assertThat(ExportProof.probabilityTolerance(0.02, Activation.SOFTMAX, 1)).isEqualTo(1e-5 + 0.01);
        assertThat(ExportProof.probabilityTolerance(0.02, Activation.SOFTMAX, 2)).isEqualTo(1e-5 + 0.005);
        assertThat(ExportProof.probabilityTolerance(0.02, Activation.SIGMOID, 1)).isEqualTo(1e-5 + 0.005);
        assertThat(ExportProof.probabilityTolerance(0.02, Activation.NONE, 1)).isEqualTo(1e-5 + 0.02);
    }

    @Test
    void logitsBeyondTheirToleranceAreRefusedWithTheLogitFigures() {
        // the head's last bias 1e-3 off for class 0: the export's logits are 1e-3 * (1 - 1/C) from float64 (centred)
        // against a floor of 1e-5 x the largest |logit| (the interpreter is the float32 forward, exact to float32
        // rounding); no probability moves by more than half that
        ModelProto model = withLastBiasOff(OnnxExporter.export(options), 1e-3f);
        TrainedReference off = TrainedReference.of(reference, ExportProofTest::exact);
        Path out = dir.resolve("model.onnx");

        assertThatThrownBy(() -> ExportProof.proveAndWrite(model, options, off, 1, 2, 24, 24, OptionalDouble.empty(),
                out))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("the export does not match the trained model: its logits, centred per image,"
                        + " differ by up to 0.000")
                .hasMessageContaining("from its float64 forward, more than the tolerance ")
                .hasMessageContaining("(the floor ")
                .hasMessageContaining("nothing was written")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(out).doesNotExist();
        // the same export with an explicit probability tolerance: the logits are reported, not judged
        ExportProof.Result given = ExportProof.verify(model, off, 1, 2, 24, 24, OptionalDouble.of(1e-3));
        assertThat(given.logitDiff()).isGreaterThan(5e-4);
        assertThat(given.maxAbsDiff()).isLessThan(5e-4);
        assertThat(given.passed()).isTrue();
    }

    /** The graph with the first value of the bias of the Gemm that computes the logits moved by {@code delta}. */
    private static ModelProto withLastBiasOff(ModelProto model, float delta) {
        var graph = model.getGraph().toBuilder();
        String bias = graph.getNodeList().stream().filter(n -> n.getOutputList().contains(GraftMetadata.LOGITS_NAME))
                .findFirst().orElseThrow().getInput(2);
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            if (graph.getInitializer(i).getName().equals(bias)) {
                var t = graph.getInitializerBuilder(i);
                java.nio.ByteBuffer raw = java.nio.ByteBuffer.wrap(t.getRawData().toByteArray())
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                raw.putFloat(0, raw.getFloat(0) + delta);
                t.setRawData(com.google.protobuf.ByteString.copyFrom(raw.array()));
            }
        }
        return model.toBuilder().setGraph(graph).build();
    }

    @Test
    void aWrongActivationAfterRightLogitsIsRefusedByTheProbabilities() {
        ModelProto model = OnnxExporter.export(options);
        // softmax over the batch axis: every logit right, every probability wrong
        var graph = model.getGraph().toBuilder();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (graph.getNode(i).getOpType().equals("Softmax")) {
                graph.getNodeBuilder(i).getAttributeBuilder(0).setI(0);
            }
        }
        ModelProto wrong = model.toBuilder().setGraph(graph).build();
        TrainedReference exactly = TrainedReference.of(reference, ExportProofTest::exact);

        ExportProof.Result r = ExportProof.verify(wrong, exactly, 1, 2, 24, 24, OptionalDouble.empty());

        assertThat(r.logitsPassed()).isTrue();
        assertThat(r.passed()).isFalse();
        assertThat(r.refusal(dir.resolve("m.onnx"))).startsWith("the export does not match the trained model: largest"
                + " difference").contains("(what the logit tolerance can move them, plus 1e-05; seed 1, batch 2");
    }

    @Test
    void theLogitsOutputTheProofReadsChangesNoProbabilityAndIsNotWritten() throws IOException {
        ModelProto model = OnnxExporter.export(options);
        ModelProto probed = ExportProof.withLogitsOutput(model, Activation.SOFTMAX);
        assertThat(probed.getGraph().getOutputList()).extracting(v -> v.getName())
                .containsExactly(GraftMetadata.OUTPUT_NAME, GraftMetadata.LOGITS_NAME);
        float[] x = TestModels.gaussian(5, 2 * 3 * 40 * 40);
        var level = ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT;
        assertThat(TestModels.run(probed, level, x, 2, 3, 40, 40).get(GraftMetadata.OUTPUT_NAME).data())
                .containsExactly(TestModels.run(model, level, x, 2, 3, 40, 40).get(GraftMetadata.OUTPUT_NAME).data());

        Path out = dir.resolve("model.onnx");
        ExportProof.exportVerified(options, TrainedReference.of(reference, ExportProofTest::exact), out);
        assertThat(OnnxFiles.read(out).getGraph().getOutputList()).hasSize(1);

        var renamed = model.getGraph().toBuilder();
        for (int i = 0; i < renamed.getNodeCount(); i++) {
            for (int o = 0; o < renamed.getNode(i).getOutputCount(); o++) {
                if (renamed.getNode(i).getOutput(o).equals(GraftMetadata.LOGITS_NAME)) {
                    renamed.getNodeBuilder(i).setOutput(o, "scores");
                }
            }
        }
        ModelProto foreign = model.toBuilder().setGraph(renamed).build();
        assertThatThrownBy(() -> ExportProof.withLogitsOutput(foreign, Activation.SOFTMAX))
                .isInstanceOf(GraftException.class).hasMessageContaining("not a Graft export");
    }

    @Test
    void aTemperatureDividesTheSoftmaxBoundAndTheProbabilityCeilingHoldsWhateverItIs() {
        TrainedReference noisy = float32Edited(y -> y[0] += 3e-3f);
        ExportOptions warm = TestModels.options(net, weights).optInputSize(40, 40).optTemperature(2).build();
        ExportProof.Result r = ExportProof.verify(OnnxExporter.export(warm), noisy, 1, 2, 24, 24,
                OptionalDouble.empty());
        assertThat(r.temperature()).isEqualTo(2, within(1e-6));
        assertThat(r.tolerance()).isCloseTo(ExportProof.TOLERANCE_FLOOR + r.logitTolerance() / 4, within(1e-12));
        assertThat(r.passed()).as(r.explanation()).isTrue();

        // T = 0.05 sharpens tenfold: 0.5 / T x the logit tolerance would let probabilities move by 0.13; capped
        ExportOptions sharp = TestModels.options(net, weights).optInputSize(40, 40).optTemperature(0.05).build();
        ExportProof.Result capped = ExportProof.verify(OnnxExporter.export(sharp), noisy, 1, 2, 24, 24,
                OptionalDouble.empty());
        assertThat(capped.tolerance()).isEqualTo(ExportProof.TOLERANCE_FLOOR + ExportProof.PROBABILITY_CEILING);
        assertThat(capped.toleranceReason()).startsWith("the ceiling 2.5e-02 plus 1e-05");
        assertThat(capped.passed()).as(capped.explanation()).isTrue();
        assertThat(ExportProof.probabilityTolerance(0.02, Activation.SOFTMAX, 0.1))
                .isEqualTo(ExportProof.TOLERANCE_FLOOR + ExportProof.PROBABILITY_CEILING);

        // a temperature in the metadata of a model without a softmax is not a Graft export's
        ModelProto multi = OnnxExporter.export(TestModels.options(net, weights).optInputSize(40, 40)
                .optActivation(Activation.SIGMOID).build());
        ModelProto forged = multi.toBuilder().addMetadataProps(
                dev.graft.exporter.onnx.proto.OnnxProto.StringStringEntryProto.newBuilder()
                        .setKey(GraftMetadata.TEMPERATURE).setValue("2")).build();
        assertThatThrownBy(() -> ExportProof.verify(forged, noisy, 1, 2, 24, 24, OptionalDouble.empty()))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("a temperature scales the logits before a softmax");
    }

    @Test
    void aFloat32ForwardThatIsNotFiniteEarnsNoSlack() {
        ModelProto model = OnnxExporter.export(options);
        ExportProof.Result r = ExportProof.verify(model, float32Edited(y -> y[1] = Float.NaN), 1, 2, 24, 24,
                OptionalDouble.empty());
        assertThat(r.float32LogitError()).isInfinite();
        assertThat(r.logitTolerance()).isEqualTo(ExportProof.logitFloor(r.logitScale()));
        assertThat(r.logitToleranceReason()).contains("the model's own float32 forward is not finite");
        assertThat(ExportProof.derivedLogitTolerance(Double.POSITIVE_INFINITY, 2)).isEqualTo(2e-5);
    }

    @Test
    void aGraphThatAlreadyOutputsItsLogitsIsReadAsItIs() {
        ModelProto model = OnnxExporter.export(TestModels.options(net, weights).optInputSize(40, 40)
                .optWithLogits(true).build());
        assertThat(ExportProof.withLogitsOutput(model, Activation.SOFTMAX)).isSameAs(model);
        ExportProof.Result r = ExportProof.verify(model, TrainedReference.of(reference, ExportProofTest::exact), 1, 2,
                24, 24, OptionalDouble.empty());
        assertThat(r.passed()).as(r.explanation()).isTrue();
        assertThat(r.logitDiff()).isLessThan(1e-5);
    }

    @Test
    void sigmoidLogitsAreComparedAsTheyAre() {
        ExportOptions multi = TestModels.options(net, weights).optInputSize(40, 40)
                .optActivation(Activation.SIGMOID).build();
        ModelProto model = OnnxExporter.export(multi);
        // a shift common to every class moves every sigmoid: for a multi-label model it is an error like any other
        TrainedReference shifted = float32Edited(y -> {
            for (int k = 0; k < multi.numOutputs(); k++) {
                y[k] += 1e-3f;
            }
        });

        ExportProof.Result r = ExportProof.verify(model, shifted, 1, 2, 24, 24, OptionalDouble.empty());

        assertThat(r.centred()).isFalse();
        assertThat(r.float32LogitError()).isCloseTo(1e-3, within(1e-5));
        assertThat(r.tolerance()).isEqualTo(ExportProof.TOLERANCE_FLOOR + r.logitTolerance() / 4);
        assertThat(r.explanation()).contains("; logits within ");
        assertThat(r.passed()).isTrue();
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
