package dev.graft.exporter.quant;

import dev.graft.exporter.onnx.proto.OnnxProto.AttributeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which nodes of a float32 Graft graph get integer kernels, and which tensors become uint8 for them.
 *
 * <p>The unit of quantisation is ONNX Runtime's "node unit": a node whose activation inputs come through
 * {@code DequantizeLinear} and whose output goes straight into {@code QuantizeLinear}. ONNX Runtime replaces such a
 * unit by one integer kernel (at optimisation level "all"), so the plan marks:
 * <ul>
 *   <li>every {@code Conv} with constant weights (QLinearConv), every {@code Add} of two activations (QLinearAdd,
 *       the residual connections) and every {@code GlobalAveragePool} (QLinearGlobalAveragePool);</li>
 *   <li>a {@code MaxPool} whose input is already quantised: its output reuses the input's scale and zero point, so
 *       the runtime drops the pair and pools the uint8 values directly;</li>
 *   <li>with {@code quantizeHead}, every {@code Gemm} with constant weights (the head's Linear layers, QGemm), whose
 *       output is quantised only when another quantised node reads it: the last Linear hands float32 logits to the
 *       softmax or sigmoid, which stay float32.</li>
 * </ul>
 *
 * <p>A ReLU directly after a quantised node is folded into the quantisation rather than kept between the node and
 * its {@code QuantizeLinear}: the tensor quantised is the ReLU's output, whose range starts at 0, so the zero point
 * is 0 and {@code QuantizeLinear} clamps negative values to 0 exactly as the ReLU would. The ReLU node is dropped.
 *
 * <p>Everything else (the graph input's consumers aside) stays float32 and reads quantised tensors through a
 * {@code DequantizeLinear} of its own.
 */
final class QdqPlan {
    /**
     * One tensor that exists as uint8 in the quantised graph.
     *
     * @param name the float32 graph's tensor whose value it carries (a ReLU's output when a ReLU was folded in); its
     *     consumers read a dequantised copy
     * @param source the tensor {@code QuantizeLinear} reads: {@code name}, or the folded ReLU's input
     * @param statsOf the tensor whose calibration statistics set the range, or {@code null} when {@code sharesWith}
     *     gives the encoding
     * @param sharesWith the quantised tensor whose scale and zero point this one reuses (a MaxPool's input), or null
     * @param afterNode the index of the float32 node after which the {@code QuantizeLinear} goes; -1 for a graph input
     */
    record QTensor(String name, String source, String statsOf, String sharesWith, int afterNode) {
    }

    private final GraphProto graph;
    private final Set<String> initializers = new HashSet<>();
    private final Set<String> graphInputs = new HashSet<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final Map<String, List<Integer>> consumers = new HashMap<>();
    private final Map<String, Integer> producers = new HashMap<>();
    private final boolean quantizeHead;

    private final Map<String, QTensor> quantized = new LinkedHashMap<>();
    private final Set<Integer> quantizedNodes = new HashSet<>();
    private final Set<Integer> foldedRelus = new HashSet<>();

    private QdqPlan(GraphProto graph, boolean quantizeHead) {
        this.graph = graph;
        this.quantizeHead = quantizeHead;
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        for (ValueInfoProto v : graph.getInputList()) {
            if (!initializers.contains(v.getName())) {
                graphInputs.add(v.getName());
            }
        }
        graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto n = graph.getNode(i);
            for (String in : n.getInputList()) {
                if (!in.isEmpty()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
                }
            }
            for (String out : n.getOutputList()) {
                producers.put(out, i);
            }
        }
    }

    static QdqPlan of(GraphProto graph, boolean quantizeHead) {
        QdqPlan plan = new QdqPlan(graph, quantizeHead);
        plan.build();
        return plan;
    }

    private void build() {
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (foldedRelus.contains(i) || !quantizable(i)) {
                continue;
            }
            NodeProto n = graph.getNode(i);
            quantizedNodes.add(i);
            for (String in : activationInputs(n)) {
                if (!quantized.containsKey(in)) {
                    quantized.put(in, new QTensor(in, in, in, null, producers.getOrDefault(in, -1)));
                }
            }
            String out = n.getOutput(0);
            if (graphOutputs.contains(out)) {
                continue;
            }
            if (n.getOpType().equals("MaxPool")) {
                QTensor input = quantized.get(n.getInput(0));
                quantized.put(out, new QTensor(out, out, null, input.sharesWith() != null ? input.sharesWith()
                        : input.name(), i));
                continue;
            }
            int relu = foldableRelu(out);
            String carried = relu >= 0 ? graph.getNode(relu).getOutput(0) : out;
            if (n.getOpType().equals("Gemm") && !feedsQuantizable(carried)) {
                continue;
            }
            if (relu >= 0) {
                foldedRelus.add(relu);
            }
            quantized.put(carried, new QTensor(carried, out, carried, null, i));
        }
    }

    /** The single ReLU that alone consumes {@code tensor}, or -1. */
    private int foldableRelu(String tensor) {
        List<Integer> users = consumers.getOrDefault(tensor, List.of());
        if (users.size() != 1) {
            return -1;
        }
        NodeProto user = graph.getNode(users.get(0));
        return user.getOpType().equals("Relu") && !graphOutputs.contains(user.getOutput(0)) ? users.get(0) : -1;
    }

    private boolean feedsQuantizable(String tensor) {
        for (int c : consumers.getOrDefault(tensor, List.of())) {
            NodeProto n = graph.getNode(c);
            if (n.getOpType().equals("MaxPool") || quantizable(c)) {
                return true;
            }
        }
        return false;
    }

    private boolean quantizable(int index) {
        NodeProto n = graph.getNode(index);
        for (String in : activationInputs(n)) {
            if (graphOutputs.contains(in)) {
                return false;
            }
        }
        return switch (n.getOpType()) {
            case "Conv" -> initializers.contains(n.getInput(1))
                    && (n.getInputCount() < 3 || initializers.contains(n.getInput(2)));
            case "Add" -> n.getInputCount() == 2 && !initializers.contains(n.getInput(0))
                    && !initializers.contains(n.getInput(1));
            case "GlobalAveragePool" -> true;
            case "MaxPool" -> n.getOutputCount() == 1 && quantized.containsKey(n.getInput(0));
            case "Gemm" -> quantizeHead && initializers.contains(n.getInput(1))
                    && (n.getInputCount() < 3 || initializers.contains(n.getInput(2)))
                    && intAttribute(n, "transA", 0) == 0 && floatAttribute(n, "alpha", 1f) == 1f
                    && floatAttribute(n, "beta", 1f) == 1f;
            default -> false;
        };
    }

    /** The inputs of a quantisable node that carry activations (not weights or biases). */
    static List<String> activationInputs(NodeProto n) {
        return switch (n.getOpType()) {
            case "Add" -> List.of(n.getInput(0), n.getInput(1));
            case "Conv", "Gemm", "GlobalAveragePool", "MaxPool" -> List.of(n.getInput(0));
            default -> List.of();
        };
    }

    static long intAttribute(NodeProto n, String name, long otherwise) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return otherwise;
    }

    private static float floatAttribute(NodeProto n, String name, float otherwise) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return otherwise;
    }

    /** The tensors that exist as uint8, by the float32 tensor whose value they carry, in graph order. */
    Map<String, QTensor> quantized() {
        return quantized;
    }

    /** Whether node {@code index} of the float32 graph becomes a quantised node unit. */
    boolean isQuantized(int index) {
        return quantizedNodes.contains(index);
    }

    /** Whether node {@code index} is a ReLU folded into the quantisation (and so dropped). */
    boolean isFoldedRelu(int index) {
        return foldedRelus.contains(index);
    }

    /** Whether {@code name} is a graph input (not an initializer). */
    boolean isGraphInput(String name) {
        return graphInputs.contains(name);
    }

    /** The tensors calibration must observe, in graph order. */
    List<String> calibrated() {
        List<String> names = new ArrayList<>();
        for (QTensor q : quantized.values()) {
            if (q.statsOf() != null) {
                names.add(q.statsOf());
            }
        }
        return names;
    }

    /** How many nodes of the float32 graph are quantised, by op type. */
    Map<String, Integer> quantizedOps() {
        Map<String, Integer> ops = new LinkedHashMap<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            if (quantizedNodes.contains(i)) {
                ops.merge(graph.getNode(i).getOpType(), 1, Integer::sum);
            }
        }
        return ops;
    }
}
