package dev.graft.exporter.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.Activation;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.OnnxChecker;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Float16 exports run in ONNX Runtime's CPU provider, take float32 in and out, and compute nearly what float32 does. */
class Fp16ConverterTest {
    private static final int SIZE = 64;

    @TempDir
    static Path dir;

    private static Network net;
    private static Map<String, Tensor> weights;

    @BeforeAll
    static void load() {
        net = QuantFixtures.resnet18();
        weights = QuantFixtures.goldenWeights(net);
    }

    @ParameterizedTest(name = "{0}, logits={1}")
    @CsvSource({"SINGLE_LABEL, false", "MULTI_LABEL, true", "REGRESSION, true"})
    void runsOnTheCpuCloseToFloat32(Task task, boolean logits) {
        ExportOptions options = QuantFixtures.options(net, weights, SIZE).optTask(task).optWithLogits(logits)
                .optPrecision(Precision.FP16).build();
        ModelProto fp32 = OnnxExporter.exportFp32(options);
        ModelProto fp16 = OnnxExporter.export(options);
        float[] x = QuantFixtures.gaussian(7, 4 * 3 * SIZE * SIZE);
        Map<String, FloatTensor> a = run(fp32, x);
        Map<String, FloatTensor> b = run(fp16, x);
        assertThat(b.keySet()).isEqualTo(a.keySet());
        for (String out : a.keySet()) {
            double max = 0;
            double scale = 0;
            for (int i = 0; i < a.get(out).data().length; i++) {
                max = Math.max(max, Math.abs(a.get(out).data()[i] - b.get(out).data()[i]));
                scale = Math.max(scale, Math.abs(a.get(out).data()[i]));
            }
            System.out.printf("fp16 %s %s: max |difference| from fp32 %.2e (max |value| %.3g)%n", task, out, max, scale);
            assertThat(max).as(out).isLessThan(5e-3 * Math.max(1, scale));
        }
    }

    @Test
    void weightsAreHalfPrecisionAndTheEdgesFloat32() {
        ExportOptions options = QuantFixtures.options(net, weights, SIZE).optWithLogits(true)
                .optPrecision(Precision.FP16).build();
        ModelProto fp32 = OnnxExporter.exportFp32(options);
        ModelProto fp16 = OnnxExporter.export(options);
        assertThat(fp16.getGraph().getInitializerList()).allMatch(t -> t.getDataType()
                == TensorProto.DataType.FLOAT16.getNumber());
        assertThat(fp16.getGraph().getInputList()).isEqualTo(fp32.getGraph().getInputList());
        assertThat(fp16.getGraph().getOutputList()).isEqualTo(fp32.getGraph().getOutputList());
        List<NodeProto> nodes = fp16.getGraph().getNodeList();
        assertThat(nodes.get(0).getOpType()).isEqualTo("Cast");
        assertThat(nodes.get(0).getInput(0)).isEqualTo(GraftMetadata.INPUT_NAME);
        // The softmax reads the float32 logits that the last Cast writes.
        assertThat(nodes.get(nodes.size() - 2).getOpType()).isEqualTo("Cast");
        assertThat(nodes.get(nodes.size() - 2).getOutput(0)).isEqualTo(GraftMetadata.LOGITS_NAME);
        assertThat(nodes.get(nodes.size() - 1).getOpType()).isEqualTo("Softmax");
        assertThat(OnnxExporter.metadata(fp16).get(GraftMetadata.PRECISION)).isEqualTo("fp16");
        double ratio = (double) fp16.getSerializedSize() / fp32.getSerializedSize();
        assertThat(ratio).isBetween(0.49, 0.51);
    }

    @Test
    void onTheCpuOnnxRuntimeRunsFloat16ThroughCasts() {
        ModelProto fp16 = OnnxExporter.export(QuantFixtures.options(net, weights, SIZE).optPrecision(Precision.FP16)
                .build());
        Path file = dir.resolve("fp16.optimised.onnx");
        try (OrtRunner ignored = OrtRunner.open(fp16.toByteArray(), OptLevel.ALL_OPT, 1, file)) {
            Map<String, Integer> ops = OnnxExporter.opHistogram(OnnxFiles.read(file));
            System.out.println("fp16 resnet18 as ONNX Runtime's CPU provider runs it: " + ops);
            // Not a requirement but a fact worth knowing: the CPU provider lacks float16 convolutions on x86 and
            // inserts casts around them; the model still runs, slower than float32.
            assertThat(ops.get("Cast")).isGreaterThan(2);
        }
    }

    @Test
    void passesTheOnnxChecker() {
        ModelProto fp16 = OnnxExporter.export(QuantFixtures.options(net, weights, SIZE).optPrecision(Precision.FP16)
                .optActivation(Activation.SIGMOID).optTask(Task.MULTI_LABEL).build());
        Path file = dir.resolve("fp16.onnx");
        OnnxFiles.writeAtomically(fp16, file);
        OnnxChecker.assertValid(file);
    }

    @Test
    void aWeightBeyondFloat16IsRefused() {
        Map<String, Tensor> big = new java.util.LinkedHashMap<>(weights);
        float[] w = big.get("head.8.weight").toFloatArray();
        w[5] = 1e6f;
        big.put("head.8.weight", Tensor.ofFloats(big.get("head.8.weight").shape(), w));
        ExportOptions options = QuantFixtures.options(net, big, SIZE).optPrecision(Precision.FP16).build();
        assertThatThrownBy(() -> OnnxExporter.export(options)).isInstanceOf(GraftException.class)
                .hasMessageContaining("weight head.8.weight holds").hasMessageContaining("beyond float16's range");
    }

    private static Map<String, FloatTensor> run(ModelProto model, float[] x) {
        try (OrtRunner ort = OrtRunner.open(model, OptLevel.ALL_OPT)) {
            return ort.runAll(GraftMetadata.INPUT_NAME, x, new long[] {4, 3, SIZE, SIZE});
        }
    }
}
