package dev.graft.exporter.quant;

import static dev.graft.exporter.onnx.OnnxAttribute.ofInt;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.OnnxGraphBuilder;
import dev.graft.exporter.onnx.OnnxOperator;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ValueInfoProto;
import dev.graft.exporter.quant.QdqPlan.QTensor;
import dev.graft.models.GraftException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Static int8 quantisation of a float32 Graft export, in ONNX's QDQ form, calibrated on images.
 *
 * <p>QDQ keeps every original operator and brackets it with {@code QuantizeLinear}/{@code DequantizeLinear} nodes that
 * carry the integer encodings; a runtime that knows integer kernels fuses each bracket into one (ONNX Runtime does so
 * at graph optimisation level "all"), and any other ONNX consumer still computes the same numbers in float. Which nodes
 * are quantised and why is described in {@link QdqPlan}; the encodings in {@link Quantization}. Biases stay float32
 * (ONNX Runtime fuses them as well as int32 ones), and so do the final softmax or sigmoid and, unless asked otherwise,
 * the head's Linear layers, whose cost is negligible beside the convolutions and whose outputs are what the user reads.
 *
 * <p>The graph keeps the float32 model's input, outputs, names and metadata; {@link GraftMetadata#PRECISION} becomes
 * {@code int8} and {@link GraftMetadata#QUANTIZATION} says how the encodings were found.
 */
public final class QdqQuantizer {
    private QdqQuantizer() {
    }

    /**
     * Calibrates {@code fp32} on {@code data} and returns its int8 QDQ form.
     *
     * @param quantizeHead also quantise the head's Linear layers ({@code Gemm})
     * @throws GraftException if the model is not a single-input Graft export, the data do not fit its input, or
     *     calibration fails (an unreadable image, a NaN)
     */
    public static ModelProto quantize(ModelProto fp32, CalibrationData data, CalibrationMethod method,
                                      boolean quantizeHead, QuantProgress progress) {
        GraphProto graph = fp32.getGraph();
        String input = singleInput(graph);
        checkData(graph, input, data);
        QdqPlan plan = QdqPlan.of(graph, quantizeHead);
        if (!plan.quantizedOps().containsKey("Conv") && !plan.quantizedOps().containsKey("Gemm")) {
            throw new GraftException("the model has no convolution or Linear layer to quantise");
        }
        Map<String, ActivationStats> stats = Calibrator.collect(fp32, input, plan.calibrated(), data,
                method != CalibrationMethod.MINMAX, progress);
        Map<String, Quantization.Uint8> encodings = new LinkedHashMap<>();
        for (QTensor q : plan.quantized().values()) {
            if (q.statsOf() != null) {
                double[] range = stats.get(q.statsOf()).range(method);
                encodings.put(q.name(), Quantization.uint8(range[0], range[1]));
            }
        }
        String how = String.format(Locale.ROOT, "qdq; activations uint8 per tensor, %s calibration on %s;"
                        + " weights int8 per channel, symmetric; %s; %s", method.id(), data.describe(),
                quantizeHead ? "head Linear layers int8" : "head float32", histogram(plan.quantizedOps()));
        return rewrite(fp32, plan, encodings, how);
    }

    private static String histogram(Map<String, Integer> ops) {
        return "quantised " + ops.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
    }

    private static String singleInput(GraphProto graph) {
        Set<String> inits = new HashSet<>();
        graph.getInitializerList().forEach(t -> inits.add(t.getName()));
        List<String> inputs = new ArrayList<>();
        for (ValueInfoProto v : graph.getInputList()) {
            if (!inits.contains(v.getName())) {
                inputs.add(v.getName());
            }
        }
        if (inputs.size() != 1) {
            throw new GraftException("only a model with one input can be calibrated, this one has " + inputs);
        }
        return inputs.get(0);
    }

    private static void checkData(GraphProto graph, String input, CalibrationData data) {
        for (ValueInfoProto v : graph.getInputList()) {
            if (v.getName().equals(input)) {
                var shape = v.getType().getTensorType().getShape();
                if (shape.getDimCount() != 4) {
                    throw new GraftException("calibration needs an image input [batch, channels, height, width]; input "
                            + input + " has " + shape.getDimCount() + " dimensions");
                }
                if (shape.getDim(1).hasDimValue() && shape.getDim(1).getDimValue() != data.channels()) {
                    throw new GraftException("the calibration images have " + data.channels()
                            + " channel(s) but the model reads " + shape.getDim(1).getDimValue());
                }
            }
        }
        if (data.size() == 0) {
            throw new GraftException("calibration needs at least one image");
        }
    }

    private static ModelProto rewrite(ModelProto fp32, QdqPlan plan, Map<String, Quantization.Uint8> encodings,
                                      String how) {
        GraphProto graph = fp32.getGraph();
        OnnxGraphBuilder b = new OnnxGraphBuilder(graph.getName(), opset(fp32));
        b.producerVersion(fp32.getProducerVersion()).docString(fp32.getDocString());
        Map<String, String> meta = new LinkedHashMap<>();
        fp32.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
        meta.put(GraftMetadata.PRECISION, Precision.INT8.metadataValue());
        meta.put(GraftMetadata.QUANTIZATION, how);
        b.metadata(meta);
        graph.getInputList().forEach(b::copyInput);
        graph.getOutputList().forEach(b::copyOutput);

        Map<String, TensorProto> inits = new HashMap<>();
        graph.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Set<String> quantizedWeights = new HashSet<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (plan.isQuantized(i) && isWeighted(graph.getNode(i))) {
                quantizedWeights.add(graph.getNode(i).getInput(1));
            }
        }
        for (TensorProto t : graph.getInitializerList()) {
            if (!quantizedWeights.contains(t.getName())) {
                b.copyInitializer(t);
            }
        }

        // Scale and zero point initializers, shared by every Q and DQ of a tensor (and by a MaxPool's output).
        Map<String, String[]> params = new HashMap<>();
        Map<String, String> uint8Names = new HashMap<>();
        Map<Integer, List<QTensor>> quantizeAfter = new HashMap<>();
        for (QTensor q : plan.quantized().values()) {
            if (q.sharesWith() == null) {
                Quantization.Uint8 e = encodings.get(q.name());
                String scale = b.uniqueTensorName(q.name() + "_scale");
                b.addInitializer(scale, new float[] {e.scale()});
                String zero = b.uniqueTensorName(q.name() + "_zero_point");
                b.addUint8Initializer(zero, new byte[] {(byte) e.zeroPoint()});
                params.put(q.name(), new String[] {scale, zero});
            } else {
                params.put(q.name(), params.get(q.sharesWith()));
            }
            quantizeAfter.computeIfAbsent(q.afterNode(), k -> new ArrayList<>()).add(q);
        }
        for (QTensor q : quantizeAfter.getOrDefault(-1, List.of())) {
            quantize(b, q, params, uint8Names);
        }
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (plan.isFoldedRelu(i)) {
                continue;
            }
            NodeProto n = graph.getNode(i);
            NodeProto.Builder copy = n.toBuilder();
            Map<String, String> dequantized = new HashMap<>();
            for (int k = 0; k < n.getInputCount(); k++) {
                String t = n.getInput(k);
                if (plan.quantized().containsKey(t)) {
                    String name = dequantized.computeIfAbsent(t, x -> {
                        String out = b.uniqueTensorName(x + "_dequantized");
                        String[] p = params.get(x);
                        b.node(OnnxOperator.DEQUANTIZE_LINEAR, b.uniqueNodeName(x + ".dequantize"),
                                List.of(uint8Names.get(x), p[0], p[1]), List.of(out));
                        return out;
                    });
                    copy.setInput(k, name);
                } else if (k == 1 && plan.isQuantized(i) && isWeighted(n)) {
                    dequantizeWeight(b, n, inits.get(t));
                }
            }
            b.copyNode(copy.build());
            for (QTensor q : quantizeAfter.getOrDefault(i, List.of())) {
                quantize(b, q, params, uint8Names);
            }
        }
        return b.build();
    }

    private static boolean isWeighted(NodeProto n) {
        return n.getOpType().equals("Conv") || n.getOpType().equals("Gemm");
    }

    private static void quantize(OnnxGraphBuilder b, QTensor q, Map<String, String[]> params,
                                 Map<String, String> uint8Names) {
        String out = b.uniqueTensorName(q.name() + "_quantized");
        String[] p = params.get(q.name());
        b.node(OnnxOperator.QUANTIZE_LINEAR, b.uniqueNodeName(q.name() + ".quantize"), List.of(q.source(), p[0], p[1]),
                List.of(out));
        uint8Names.put(q.name(), out);
    }

    /** Replaces a float weight by int8 values, per-output-channel scales and a DequantizeLinear that restores it. */
    private static void dequantizeWeight(OnnxGraphBuilder b, NodeProto n, TensorProto weight) {
        long[] shape = weight.getDimsList().stream().mapToLong(Long::longValue).toArray();
        int axis = n.getOpType().equals("Gemm") && QdqPlan.intAttribute(n, "transB", 0) == 0 ? 1 : 0;
        Quantization.Int8Weights q = Quantization.int8PerChannel(floats(weight), shape, axis);
        String name = weight.getName();
        String values = b.uniqueTensorName(name + "_quantized");
        b.addInt8Initializer(values, q.values(), shape);
        String scale = b.uniqueTensorName(name + "_scale");
        b.addInitializer(scale, q.scales(), q.scales().length);
        String zero = b.uniqueTensorName(name + "_zero_point");
        b.addInt8Initializer(zero, new byte[q.scales().length], q.scales().length);
        b.node(OnnxOperator.DEQUANTIZE_LINEAR, b.uniqueNodeName(name + ".dequantize"), List.of(values, scale, zero),
                List.of(name), ofInt("axis", axis));
    }

    static float[] floats(TensorProto t) {
        if (t.getDataType() != TensorProto.DataType.FLOAT.getNumber()) {
            throw new GraftException("weight " + t.getName() + " is not float32 and cannot be quantised");
        }
        if (!t.getRawData().isEmpty()) {
            float[] out = new float[t.getRawData().size() / Float.BYTES];
            t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        float[] out = new float[t.getFloatDataCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getFloatData(i);
        }
        return out;
    }

    static int opset(ModelProto model) {
        return model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty())
                .mapToInt(o -> (int) o.getVersion()).findFirst()
                .orElseThrow(() -> new GraftException("the model imports no default ONNX opset"));
    }
}
