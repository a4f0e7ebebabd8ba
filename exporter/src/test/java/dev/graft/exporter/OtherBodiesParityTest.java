package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Network;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Folding holds for the other ResNet bodies too (bottleneck blocks, longer stages): folded against unfolded. */
class OtherBodiesParityTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"resnet34", "resnet50"})
    void foldedMatchesUnfolded(String arch) {
        Network net = TestModels.resnet(arch, 5, HeadOptions.defaults());
        ExportOptions options = TestModels.options(net, TestModels.randomWeights(net, arch.hashCode()))
                .optWithLogits(true).build();
        ModelProto folded = OnnxExporter.export(options);
        ModelProto unfolded = OnnxExporter.export(options.toBuilder().optFold(false).build());
        float[] x = TestModels.gaussian(17, 2 * 3 * 64 * 64);

        Map<String, FloatTensor> f = TestModels.run(folded, OptLevel.ALL_OPT, x, 2, 3, 64, 64);
        Map<String, FloatTensor> u = TestModels.run(unfolded, OptLevel.NO_OPT, x, 2, 3, 64, 64);

        float[] ul = u.get(GraftMetadata.LOGITS_NAME).data();
        double logits = TestModels.maxAbsDiff(f.get(GraftMetadata.LOGITS_NAME).data(), ul)
                / Math.max(1, TestModels.maxAbs(ul));
        double probs = TestModels.maxAbsDiff(f.get(GraftMetadata.OUTPUT_NAME).data(),
                u.get(GraftMetadata.OUTPUT_NAME).data());
        System.out.printf("%s: %d nodes folded %s; probabilities diff %.2g, relative logits diff %.2g%n", arch,
                folded.getGraph().getNodeCount(), OnnxExporter.opHistogram(folded), probs, logits);
        assertThat(OnnxExporter.opHistogram(folded)).doesNotContainKeys("BatchNormalization", "Dropout");
        assertThat(probs).isLessThanOrEqualTo(1e-4);
        assertThat(logits).isLessThanOrEqualTo(1e-4);
    }
}
