package dev.graft.edge;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.testing.Fixtures;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Real ONNX models for runtime-edge's tests, made by Graft's own exporter (test scope only): the golden fastai resnet18
 * (3 classes, 64 px) and seeded random variants for the other tasks and channel orders. Exports are cached for the JVM.
 */
public final class TestModels {
    private static final Map<String, byte[]> CACHE = new ConcurrentHashMap<>();

    private TestModels() {
    }

    /** The shared folder (see {@link Fixtures#sharedDir()}). */
    public static Path sharedDir() {
        return Fixtures.sharedDir();
    }

    /** A golden file; a missing one skips the calling test, or fails it in CI ({@link Fixtures}). */
    public static Path golden(String name) {
        return Fixtures.golden(name);
    }

    /** A raw little-endian float32 golden file. */
    public static float[] goldenFloats(String name) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(golden(name))).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / Float.BYTES];
            b.asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** fastai's resnet18 with the golden weights, exported with the given activation, labels cat/dog/fish. */
    public static byte[] goldenModel(String activation) {
        return CACHE.computeIfAbsent("golden-" + activation, k -> {
            Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
            Map<String, Tensor> weights;
            try (TensorFile file = SafeTensors.open(golden("resnet18_c3_64.fastai.safetensors"))) {
                Map<String, Tensor> loaded = WeightLoader.load(net, file.all(), LoadMode.ALL).tensors();
                weights = new LinkedHashMap<>();
                loaded.forEach((n, v) -> weights.put(n, Tensor.ofFloats(v.shape(), v.toFloatArray())));
            }
            ExportOptions.Builder b = ExportOptions.builder().setNetwork(net).setWeights(weights)
                    .optTask(activation.equals("softmax") ? Task.SINGLE_LABEL : Task.MULTI_LABEL)
                    .optInputSize(64, 64).optLabels(List.of("cat", "dog", "fish"));
            return OnnxExporter.export(b.build()).toByteArray();
        });
    }

    /** The golden single-label model (softmax), as most tests use it. */
    public static byte[] goldenSoftmax() {
        return goldenModel("softmax");
    }

    /** The golden weights exported as a multi-label model (sigmoid, threshold 0.5). */
    public static byte[] goldenSigmoid() {
        return goldenModel("sigmoid");
    }

    /** A resnet18 with seeded random weights, {@code classes} outputs, {@code nIn} input channels. */
    public static byte[] random(String key, int classes, int nIn, UnaryOperator<ExportOptions.Builder> tweak) {
        return CACHE.computeIfAbsent("random-" + key, k -> {
            Network net = VisionModel.builder().setArch("resnet18").setClasses(classes).optInputChannels(nIn).build();
            ExportOptions.Builder b = ExportOptions.builder().setNetwork(net).setWeights(Initializer.init(net, 7))
                    .optInputSize(64, 64);
            return OnnxExporter.export(tweak.apply(b).build()).toByteArray();
        });
    }

    /** {@code model} with its metadata removed, as an ONNX file from another tool would be. */
    public static byte[] withoutMetadata(byte[] model) {
        try {
            return ModelProto.parseFrom(model).toBuilder().clearMetadataProps().build().toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code model} with its output multiplied by {@code factor} in one more graph node: NaN or infinity makes a model
     * whose every answer is non-finite, as a model trained into NaN weights would be.
     */
    public static byte[] withOutputTimes(byte[] model, float factor) {
        try {
            ModelProto.Builder b = ModelProto.parseFrom(model).toBuilder();
            GraphProto.Builder g = b.getGraphBuilder();
            String out = g.getOutput(0).getName();
            String before = rerouteOutput(g, "_before_factor");
            g.addInitializer(TensorProto.newBuilder().setName("factor").setDataType(TensorProto.DataType.FLOAT_VALUE)
                    .addFloatData(factor));
            g.addNode(NodeProto.newBuilder().setOpType("Mul").setName("times_factor").addInput(before)
                    .addInput("factor").addOutput(out));
            return b.build().toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code model} with its output reshaped to a constant {@code batch x classes}: a graph baked for one batch size, as
     * a careless export makes it. Every other batch fails inside ONNX Runtime, on input that is perfectly good.
     */
    public static byte[] bakedForBatch(byte[] model, int batch, int classes) {
        try {
            ModelProto.Builder b = ModelProto.parseFrom(model).toBuilder();
            GraphProto.Builder g = b.getGraphBuilder();
            String out = g.getOutput(0).getName();
            String before = rerouteOutput(g, "_before_reshape");
            g.addInitializer(TensorProto.newBuilder().setName("baked_shape").setDataType(TensorProto.DataType.INT64_VALUE)
                    .addDims(2).addInt64Data(batch).addInt64Data(classes));
            g.addNode(NodeProto.newBuilder().setOpType("Reshape").setName("baked_reshape").addInput(before)
                    .addInput("baked_shape").addOutput(out));
            return b.build().toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code model} with the input's height and width fixed to {@code size}, as an export for one size would be. */
    public static byte[] fixedInputSize(byte[] model, int size) {
        try {
            ModelProto.Builder b = ModelProto.parseFrom(model).toBuilder();
            var shape = b.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
            shape.getDimBuilder(2).clear().setDimValue(size);
            shape.getDimBuilder(3).clear().setDimValue(size);
            return b.build().toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Renames the node output that is the graph's output, so a node added after it can produce the output. */
    private static String rerouteOutput(GraphProto.Builder g, String suffix) {
        String out = g.getOutput(0).getName();
        String before = out + suffix;
        for (NodeProto.Builder node : g.getNodeBuilderList()) {
            for (int i = 0; i < node.getOutputCount(); i++) {
                if (node.getOutput(i).equals(out)) {
                    node.setOutput(i, before);
                }
            }
        }
        return before;
    }

    /** {@code model} with one metadata entry replaced. */
    public static byte[] withMetadata(byte[] model, String key, String value) {
        try {
            ModelProto.Builder b = ModelProto.parseFrom(model).toBuilder();
            for (int i = 0; i < b.getMetadataPropsCount(); i++) {
                if (b.getMetadataProps(i).getKey().equals(key)) {
                    b.setMetadataProps(i, b.getMetadataProps(i).toBuilder().setValue(value));
                }
            }
            return b.build().toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** CPU options, so that tests behave the same on a machine with a GPU. */
    public static EdgeOptions cpu() {
        return EdgeOptions.builder().optDevice("cpu").build();
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(max, d);
        }
        return max;
    }
}
