package dev.graft.exporter.quant;

import static dev.graft.exporter.onnx.OnnxAttribute.ofInt;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.Float16;
import dev.graft.exporter.onnx.OnnxGraphBuilder;
import dev.graft.exporter.onnx.OnnxOperator;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto.DataType;
import dev.graft.models.GraftException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A float32 Graft export turned into float16 weights and compute, with float32 at the edges.
 *
 * <p>The input is cast to float16 as the first node and the network's result (the logits, or the output of a model
 * without activation) back to float32, so that an application feeds and reads the model exactly as the float32 one.
 * The final softmax or sigmoid runs on the float32 logits: in float16 a probability near 1 has a resolution of 0.0005
 * and a sigmoid saturates early, which would blur the multi-label threshold. The graph's names are kept; the result
 * tensor's float16 form gets the suffix {@code _fp16}.
 *
 * <p>Float16 is for GPUs (CUDA's tensor cores); ONNX Runtime's CPU provider has float16 kernels for few operators and
 * runs the rest through casts it inserts, which is slower than float32.
 */
public final class Fp16Converter {
    private Fp16Converter() {
    }

    /**
     * The float16 form of {@code fp32}.
     *
     * @throws GraftException if the model is not a Graft export with a float32 input and result, or a weight is too
     *     large for float16 (beyond ±65504)
     */
    public static ModelProto convert(ModelProto fp32) {
        GraphProto graph = fp32.getGraph();
        Map<String, String> meta = new LinkedHashMap<>();
        fp32.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
        String activation = meta.get(GraftMetadata.ACTIVATION);
        if (activation == null) {
            throw new GraftException("the model has no " + GraftMetadata.ACTIVATION + " metadata; it is not a Graft export");
        }
        String result = activation.equals("none") ? GraftMetadata.OUTPUT_NAME : GraftMetadata.LOGITS_NAME;
        String input = GraftMetadata.INPUT_NAME;
        int resultNode = -1;
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (graph.getNode(i).getOutputList().contains(result)) {
                resultNode = i;
            }
        }
        if (resultNode < 0 || graph.getInputList().stream().noneMatch(v -> v.getName().equals(input))) {
            throw new GraftException("the model has no '" + input + "' input or no '" + result
                    + "' tensor; it is not a Graft export");
        }

        OnnxGraphBuilder b = new OnnxGraphBuilder(graph.getName(), QdqQuantizer.opset(fp32));
        b.producerVersion(fp32.getProducerVersion()).docString(fp32.getDocString());
        meta.put(GraftMetadata.PRECISION, Precision.FP16.metadataValue());
        b.metadata(meta);
        graph.getInputList().forEach(b::copyInput);
        graph.getOutputList().forEach(b::copyOutput);
        for (TensorProto t : graph.getInitializerList()) {
            if (t.getDataType() == DataType.FLOAT.getNumber()) {
                float[] v = QdqQuantizer.floats(t);
                for (int i = 0; i < v.length; i++) {
                    if (Math.abs(v[i]) > Float16.MAX_VALUE) {
                        throw new GraftException("weight " + t.getName() + " holds " + v[i]
                                + ", beyond float16's range (65504); this model cannot be exported in fp16");
                    }
                }
                b.addFloat16Initializer(t.getName(), Float16.fromFloats(v),
                        t.getDimsList().stream().mapToLong(Long::longValue).toArray());
            } else {
                b.copyInitializer(t);
            }
        }
        String input16 = b.uniqueTensorName(input + "_fp16");
        b.node(OnnxOperator.CAST, b.uniqueNodeName(input + ".cast"), List.of(input), List.of(input16),
                ofInt("to", DataType.FLOAT16.getNumber()));
        String result16 = b.uniqueTensorName(result + "_fp16");
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto n = graph.getNode(i);
            NodeProto.Builder copy = n.toBuilder();
            if (i <= resultNode) {
                for (int k = 0; k < n.getInputCount(); k++) {
                    if (n.getInput(k).equals(input)) {
                        copy.setInput(k, input16);
                    }
                }
            }
            if (i == resultNode) {
                copy.setOutput(n.getOutputList().indexOf(result), result16);
            }
            b.copyNode(copy.build());
            if (i == resultNode) {
                b.node(OnnxOperator.CAST, b.uniqueNodeName(result + ".cast"), List.of(result16), List.of(result),
                        ofInt("to", DataType.FLOAT.getNumber()));
            }
        }
        return b.build();
    }
}
