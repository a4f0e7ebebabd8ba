package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.models.checkpoint.Task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fastai head option, exported folded and unfolded, agrees with itself and with the spec run in plain Java.
 *
 * <p>Weights are random with non-trivial BatchNorm statistics, so a fold that dropped a mean, a variance or an epsilon
 * would show. Folded against unfolded (ONNX Runtime against ONNX Runtime) isolates the folding; both against
 * {@link SpecInterpreter} (double precision, no shared code) checks the translation itself.
 */
class HeadOptionParityTest {
    private static final int N = 2;
    private static final int SIZE = 32;
    private static final double TOLERANCE = 1e-4;

    static Stream<Arguments> heads() {
        HeadOptions.Builder d = HeadOptions.builder();
        return Stream.of(
                Arguments.of("default", d.build(), Task.SINGLE_LABEL, 3),
                Arguments.of("lin_ftrs [512,256]", HeadOptions.builder().optLinFtrs(List.of(512, 256)).build(),
                        Task.SINGLE_LABEL, 5),
                Arguments.of("lin_ftrs []", HeadOptions.builder().optLinFtrs(List.of()).build(), Task.SINGLE_LABEL, 4),
                Arguments.of("ps 0", HeadOptions.builder().optPs(0).build(), Task.SINGLE_LABEL, 3),
                Arguments.of("ps [0.1,0.3]", HeadOptions.builder().optPs(List.of(0.1, 0.3)).build(), Task.MULTI_LABEL, 3),
                Arguments.of("no concat pool", HeadOptions.builder().optConcatPool(false).build(), Task.SINGLE_LABEL, 3),
                Arguments.of("first_bn false", HeadOptions.builder().optFirstBn(false).build(), Task.SINGLE_LABEL, 3),
                Arguments.of("bn_final", HeadOptions.builder().optBnFinal(true).build(), Task.MULTI_LABEL, 6),
                Arguments.of("lin_first", HeadOptions.builder().optLinFirst(true).build(), Task.SINGLE_LABEL, 3),
                Arguments.of("lin_first + lin_ftrs [256,128] + bn_final",
                        HeadOptions.builder().optLinFirst(true).optLinFtrs(List.of(256, 128)).optBnFinal(true).build(),
                        Task.MULTI_LABEL, 4),
                Arguments.of("lin_ftrs [] + bn_final (one Linear absorbs a BatchNorm on each side)",
                        HeadOptions.builder().optLinFtrs(List.of()).optBnFinal(true).build(), Task.SINGLE_LABEL, 3),
                Arguments.of("y_range (regression)", HeadOptions.builder().optYRange(-1, 4).build(), Task.REGRESSION, 2),
                Arguments.of("y_range + bn_final + lin_first",
                        HeadOptions.builder().optYRange(-20, 30).optBnFinal(true).optLinFirst(true).build(),
                        Task.REGRESSION, 3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("heads")
    void foldedUnfoldedAndPlainJavaAgree(String name, HeadOptions head, Task task, int classes) {
        Network net = TestModels.resnet("resnet18", classes, head);
        check(name, net, TestModels.randomWeights(net, name.hashCode()), task);
    }

    /** A custom head whose BatchNorms have nothing to fold into: they must become Mul and Add, never BatchNormalization. */
    @Test
    void batchNormsWithNothingToFoldIntoBecomeScaleAndShift() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(4).optCustomHead(List.of(
                Layer.BatchNorm.of2d(512), new Layer.AvgPool(), new Layer.Flatten(), new Layer.Dropout(0.3),
                new Layer.Linear(512, 4, true), new Layer.Relu(), Layer.BatchNorm.of1d(4))).build();
        ModelProto folded = check("custom head, BatchNorm after ReLU", net, TestModels.randomWeights(net, 7),
                Task.MULTI_LABEL);
        Map<String, Integer> histogram = OnnxExporter.opHistogram(folded);
        assertThat(histogram).containsEntry("Mul", 2).containsEntry("Add", 8 + 2);
    }

    /** A network ending in a Dropout: the Dropout folds to nothing and an Identity names the result. */
    @Test
    void trailingDropoutFoldsAway() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(2).optCustomHead(List.of(
                new Layer.AvgPool(), new Layer.Flatten(), new Layer.Linear(512, 2, true), new Layer.Dropout(0.5)))
                .build();
        check("custom head ending in Dropout", net, TestModels.randomWeights(net, 8), Task.SINGLE_LABEL);
    }

    /** fastai's pool=false leaves the head reading a feature map, which no ResNet body can feed: refused when built. */
    @Test
    void noPoolHeadIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> TestModels.resnet("resnet18", 3, HeadOptions.builder().optPool(false).build()))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("the head does not fit the body")
                .hasMessageContaining("flat input");
    }

    private static ModelProto check(String name, Network net, Map<String, Tensor> weights, Task task) {
        ExportOptions options = TestModels.options(net, weights).optTask(task).optWithLogits(true).build();
        ModelProto folded = OnnxExporter.export(options);
        ModelProto unfolded = OnnxExporter.export(options.toBuilder().optFold(false).build());
        float[] x = TestModels.gaussian(name.hashCode(), N * 3 * SIZE * SIZE);

        Map<String, FloatTensor> f = TestModels.run(folded, OptLevel.ALL_OPT, x, N, 3, SIZE, SIZE);
        Map<String, FloatTensor> u = TestModels.run(unfolded, OptLevel.NO_OPT, x, N, 3, SIZE, SIZE);
        float[] javaLogits = new SpecInterpreter(net, weights).forward(x, N, 3, SIZE, SIZE);

        float[] fp = f.get(GraftMetadata.OUTPUT_NAME).data();
        float[] up = u.get(GraftMetadata.OUTPUT_NAME).data();
        float[] fl = f.get(GraftMetadata.LOGITS_NAME).data();
        float[] ul = u.get(GraftMetadata.LOGITS_NAME).data();
        double scale = Math.max(1, TestModels.maxAbs(javaLogits));
        double probs = TestModels.maxAbsDiff(fp, up);
        double logitsFolded = TestModels.maxAbsDiff(fl, javaLogits) / scale;
        double logitsUnfolded = TestModels.maxAbsDiff(ul, javaLogits) / scale;
        System.out.printf("%-70s %2d nodes (unfolded %2d), |logits| <= %.3g: probabilities folded-unfolded %.2g;"
                        + " logits vs Java (relative) folded %.2g, unfolded %.2g%n", name,
                folded.getGraph().getNodeCount(), unfolded.getGraph().getNodeCount(), scale, probs, logitsFolded,
                logitsUnfolded);

        assertThat(OnnxExporter.opHistogram(folded)).doesNotContainKeys("BatchNormalization", "Dropout");
        assertThat(probs).as("probabilities, folded vs unfolded").isLessThanOrEqualTo(TOLERANCE);
        assertThat(logitsFolded).as("folded logits vs Java").isLessThanOrEqualTo(TOLERANCE);
        assertThat(logitsUnfolded).as("unfolded logits vs Java").isLessThanOrEqualTo(TOLERANCE);
        // The proof applies the activation itself to the reference's raw output.
        ExportProof.Result proof = ExportProof.verify(folded, new SpecInterpreter(net, weights), 5, 1, 24, 24,
                TOLERANCE);
        assertThat(proof.passed()).as("proof: %s", proof).isTrue();
        return folded;
    }
}
