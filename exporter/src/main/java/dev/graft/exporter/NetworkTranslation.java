package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.models.checkpoint.Task;

import static dev.graft.exporter.onnx.OnnxAttribute.ofFloat;
import static dev.graft.exporter.onnx.OnnxAttribute.ofInt;
import static dev.graft.exporter.onnx.OnnxAttribute.ofInts;

import dev.graft.exporter.fold.BatchNormFold;
import dev.graft.exporter.fold.FoldPlan;
import dev.graft.exporter.onnx.OnnxDim;
import dev.graft.exporter.onnx.OnnxGraphBuilder;
import dev.graft.exporter.onnx.OnnxOperator;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import dev.graft.models.GraftVersion;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import dev.graft.models.weights.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One export: walks the network spec in execution order and writes the ONNX nodes for each spec node.
 *
 * <p>Kept apart from {@link OnnxExporter} because it is stateful (which ONNX tensor carries each spec node's output)
 * and used once.
 */
final class NetworkTranslation {
    private static final int SHOWN = 6;
    private static final Set<String> RESERVED = Set.of(
            GraftMetadata.INPUT_NAME, GraftMetadata.OUTPUT_NAME, GraftMetadata.LOGITS_NAME);

    /** PyTorch's Hardsigmoid, relu6(x + 3) / 6, is ONNX's HardSigmoid with alpha 1/6 and beta 1/2. */
    private static final dev.graft.exporter.onnx.OnnxAttribute HARD_SIGMOID_ALPHA = ofFloat("alpha", 1f / 6);
    private static final dev.graft.exporter.onnx.OnnxAttribute HARD_SIGMOID_BETA = ofFloat("beta", 0.5f);

    private final ExportOptions options;
    private final Network net;
    private final OnnxGraphBuilder g;
    private final FoldPlan plan;
    private final Activation activation;
    /** The ONNX tensor that carries each spec node's output (several ids may share one when layers were folded). */
    private final Map<String, String> tensorOf = new HashMap<>();
    /** Scalar constants already in the graph, by value. */
    private final Map<Float, String> scalars = new HashMap<>();
    /** The spec node whose output tensor is the network's result, named directly as the graph's output. */
    private final String resultCarrier;
    private final String resultName;

    private NetworkTranslation(ExportOptions options) {
        this.options = options;
        this.net = options.network();
        this.g = new OnnxGraphBuilder(graphName(net), options.opset());
        this.plan = options.fold() ? FoldPlan.of(net) : null;
        this.activation = options.resolvedActivation();
        this.resultName = activation == Activation.NONE ? GraftMetadata.OUTPUT_NAME : GraftMetadata.LOGITS_NAME;
        this.resultCarrier = resultCarrier();
    }

    static ModelProto translate(ExportOptions options) {
        return new NetworkTranslation(options).run();
    }

    private ModelProto run() {
        checkWeightsPresent();
        OnnxDim batch = OnnxDim.symbolic("batch");
        g.addInput(GraftMetadata.INPUT_NAME, batch, OnnxDim.fixed(net.inputChannels()),
                OnnxDim.symbolic("height"), OnnxDim.symbolic("width"));
        tensorOf.put(Network.INPUT, GraftMetadata.INPUT_NAME);
        for (Node n : net.nodes()) {
            emit(n);
        }
        OnnxDim classes = OnnxDim.fixed(options.numOutputs());
        String result = tensorOf.get(net.output().id());
        if (!result.equals(resultName)) {
            // Only when the network ends in layers that fold to nothing (a trailing Dropout).
            g.node(OnnxOperator.IDENTITY, g.uniqueNodeName(resultName), List.of(result), List.of(resultName));
        }
        switch (activation) {
            case SOFTMAX -> g.node(OnnxOperator.SOFTMAX, g.uniqueNodeName("softmax"), List.of(temperatureScaled()),
                    List.of(GraftMetadata.OUTPUT_NAME), ofInt("axis", 1));
            case SIGMOID -> g.node(OnnxOperator.SIGMOID, g.uniqueNodeName("sigmoid"), List.of(resultName),
                    List.of(GraftMetadata.OUTPUT_NAME));
            case NONE -> {
                if (options.withLogits()) {
                    g.node(OnnxOperator.IDENTITY, g.uniqueNodeName(GraftMetadata.LOGITS_NAME),
                            List.of(GraftMetadata.OUTPUT_NAME), List.of(GraftMetadata.LOGITS_NAME));
                }
            }
            default -> throw new AssertionError(activation);
        }
        g.addOutput(GraftMetadata.OUTPUT_NAME, batch, classes);
        if (options.withLogits()) {
            g.addOutput(GraftMetadata.LOGITS_NAME, batch, classes);
        }
        g.producerVersion(GraftVersion.get());
        g.docString("Graft export of " + net.arch() + " (" + options.task().id() + ", "
                + options.numOutputs() + " outputs); preprocessing and labels are in the graft.* metadata.");
        g.metadata(metadata());
        return g.build();
    }

    /**
     * The logits the softmax reads: the network's own, or, with a fitted temperature T, one {@code Mul} by 1/T (a
     * positive scale, so the argmax cannot change); the {@code logits} output stays unscaled.
     */
    private String temperatureScaled() {
        if (options.temperature().isEmpty()) {
            return resultName;
        }
        String scaled = g.uniqueTensorName("logits_over_temperature");
        g.node(OnnxOperator.MUL, g.uniqueNodeName("temperature"), List.of(resultName, scalar(inverseTemperature())),
                List.of(scaled));
        return scaled;
    }

    /** 1/T as the float the graph multiplies by; the metadata records exactly 1 / that float. */
    private float inverseTemperature() {
        return (float) (1 / options.temperature().getAsDouble());
    }

    private Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(GraftMetadata.FORMAT, GraftMetadata.FORMAT_VERSION);
        m.put(GraftMetadata.TASK, options.task().id());
        m.put(GraftMetadata.ACTIVATION, activation.metadataValue());
        if (options.task() == Task.MULTI_LABEL) {
            m.put(GraftMetadata.THRESHOLD, Double.toString(options.threshold()));
        }
        m.put(GraftMetadata.LABELS, String.join(GraftMetadata.LABEL_SEPARATOR, options.labels()));
        m.put(GraftMetadata.INPUT_SIZE, options.inputHeight() + "," + options.inputWidth());
        m.put(GraftMetadata.INPUT_RESIZE, options.resize().metadataValue());
        m.put(GraftMetadata.INPUT_MEAN, joinNumbers(options.mean()));
        m.put(GraftMetadata.INPUT_STD, joinNumbers(options.std()));
        m.put(GraftMetadata.INPUT_CHANNELS, options.channels());
        m.put(GraftMetadata.PRECISION, "fp32");
        m.put(GraftMetadata.ARCH, net.arch());
        m.put(GraftMetadata.BODY_END, net.bodyEnd());
        m.put(GraftMetadata.HEAD_START, net.headStart().orElse(""));
        m.put(GraftMetadata.VERSION, GraftVersion.get());
        options.sourceHash().ifPresent(h -> m.put(GraftMetadata.SOURCE, h));
        m.put(GraftMetadata.OPSET, Integer.toString(options.opset()));
        m.put(GraftMetadata.NUM_CLASSES, Integer.toString(options.numOutputs()));
        if (options.temperature().isPresent()) {
            m.put(GraftMetadata.TEMPERATURE, Double.toString(1.0 / inverseTemperature()));
        }
        return m;
    }

    private static String joinNumbers(List<Double> values) {
        return values.stream().map(d -> Double.toString(d)).collect(Collectors.joining(","));
    }

    private static String graphName(Network net) {
        return "graft_" + net.arch();
    }

    /**
     * The spec node that writes the network's result: the output node, less any trailing layers that write no ONNX
     * node (Dropouts that fold away, stochastic depth).
     */
    private String resultCarrier() {
        String id = net.output().id();
        while (!id.equals(Network.INPUT) && ((plan != null && net.node(id).layer() instanceof Layer.Dropout)
                || net.node(id).layer() instanceof Layer.StochasticDepth)) {
            id = net.node(id).inputs().get(0);
        }
        return id;
    }

    // ---- weights ----------------------------------------------------------------------------------------------

    private void checkWeightsPresent() {
        List<String> missing = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        for (Map.Entry<String, Param> e : net.params().entrySet()) {
            Tensor t = options.weights().get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shapeArray())) {
                wrongShape.add(e.getKey() + " " + Arrays.toString(t.shape()) + " (expected "
                        + Arrays.toString(e.getValue().shapeArray()) + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new GraftException("cannot export " + net.arch() + ": " + missing.size() + " weight(s) missing: "
                    + shortList(missing));
        }
        if (!wrongShape.isEmpty()) {
            throw new GraftException("cannot export " + net.arch() + ": " + wrongShape.size()
                    + " weight(s) of the wrong shape: " + shortList(wrongShape));
        }
    }

    private static String shortList(List<String> items) {
        String shown = String.join(", ", items.subList(0, Math.min(SHOWN, items.size())));
        return items.size() > SHOWN ? shown + ", ... (" + (items.size() - SHOWN) + " more)" : shown;
    }

    /** A parameter's values, refused when any is NaN or infinite: such a model would export and then answer NaN. */
    private float[] param(Node n, String name) {
        String full = n.id() + "." + name;
        float[] v = options.weights().get(full).toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new GraftException("cannot export " + net.arch() + ": weight " + full + " holds " + v[i]
                        + " at index " + i);
            }
        }
        return v;
    }

    private BatchNormFold.Affine affineOf(String bnId) {
        Node n = net.node(bnId);
        Layer.BatchNorm bn = (Layer.BatchNorm) n.layer();
        return BatchNormFold.affine(bnId, param(n, "weight"), param(n, "bias"), param(n, "running_mean"),
                param(n, "running_var"), bn.eps());
    }

    // ---- nodes ------------------------------------------------------------------------------------------------

    private String in(Node n, int i) {
        return tensorOf.get(n.inputs().get(i));
    }

    /** Names the tensor carrying spec node {@code id}'s output: the id itself, or the graph's result name. */
    private String define(String id) {
        if (id.equals(resultCarrier)) {
            return resultName;
        }
        return g.uniqueTensorName(RESERVED.contains(id) ? id + "_" : id);
    }

    private String nodeName(String base) {
        return g.uniqueNodeName(base);
    }

    private void emit(Node n) {
        n.layer().accept(new Emit(n));
    }

    /** Writes the ONNX nodes for one spec node and records which tensor carries its output. */
    private final class Emit implements Layer.Visitor<Void> {
        private final Node n;
        private final String id;

        Emit(Node n) {
            this.n = n;
            this.id = n.id();
        }

        @Override
        public Void conv2d(Layer.Conv2d c) {
            emitConv(n, c);
            return null;
        }

        @Override
        public Void linear(Layer.Linear lin) {
            emitLinear(n, lin);
            return null;
        }

        @Override
        public Void batchNorm(Layer.BatchNorm bn) {
            emitBatchNorm(n, bn);
            return null;
        }

        @Override
        public Void dropout(Layer.Dropout d) {
            if (plan != null) {
                tensorOf.put(id, in(n, 0));
            } else {
                String ratio = g.uniqueTensorName(id + ".ratio");
                g.addInitializer(ratio, new float[] {(float) d.p()});
                String out = define(id);
                g.node(OnnxOperator.DROPOUT, nodeName(id), List.of(in(n, 0), ratio), List.of(out));
                tensorOf.put(id, out);
            }
            return null;
        }

        @Override
        public Void relu(Layer.Relu l) {
            unary(n, OnnxOperator.RELU);
            return null;
        }

        @Override
        public Void maxPool(Layer.MaxPool p) {
            String out = define(id);
            g.node(OnnxOperator.MAX_POOL, nodeName(id), List.of(in(n, 0)), List.of(out),
                    ofInts("kernel_shape", p.kernel(), p.kernel()), ofInts("strides", p.stride(), p.stride()),
                    ofInts("pads", p.padding(), p.padding(), p.padding(), p.padding()),
                    ofInt("ceil_mode", p.ceilMode() ? 1 : 0));
            tensorOf.put(id, out);
            return null;
        }

        @Override
        public Void avgPool2d(Layer.AvgPool2d p) {
            // PyTorch's AvgPool2d counts padded zeros in the average; ONNX's default does not
            unary(n, OnnxOperator.AVERAGE_POOL, ofInts("kernel_shape", p.kernel(), p.kernel()),
                    ofInts("strides", p.stride(), p.stride()),
                    ofInts("pads", p.padding(), p.padding(), p.padding(), p.padding()),
                    ofInt("count_include_pad", 1), ofInt("ceil_mode", 0));
            return null;
        }

        @Override
        public Void concat(Layer.Concat l) {
            List<String> inputs = new ArrayList<>();
            for (int i = 0; i < n.inputs().size(); i++) {
                inputs.add(in(n, i));
            }
            String out = define(id);
            g.node(OnnxOperator.CONCAT, nodeName(id), inputs, List.of(out), ofInt("axis", 1));
            tensorOf.put(id, out);
            return null;
        }

        @Override
        public Void add(Layer.Add l) {
            String sum = in(n, 0);
            for (int i = 1; i < n.inputs().size(); i++) {
                String out = i == n.inputs().size() - 1 ? define(id) : g.uniqueTensorName(id + ".partial");
                g.node(OnnxOperator.ADD, nodeName(id), List.of(sum, in(n, i)), List.of(out));
                sum = out;
            }
            tensorOf.put(id, sum);
            return null;
        }

        @Override
        public Void concatPool(Layer.ConcatPool l) {
            String max = g.uniqueTensorName(id + ".max");
            g.node(OnnxOperator.GLOBAL_MAX_POOL, nodeName(id + ".max"), List.of(in(n, 0)), List.of(max));
            String avg = g.uniqueTensorName(id + ".avg");
            g.node(OnnxOperator.GLOBAL_AVERAGE_POOL, nodeName(id + ".avg"), List.of(in(n, 0)), List.of(avg));
            String out = define(id);
            g.node(OnnxOperator.CONCAT, nodeName(id), List.of(max, avg), List.of(out), ofInt("axis", 1));
            tensorOf.put(id, out);
            return null;
        }

        @Override
        public Void avgPool(Layer.AvgPool l) {
            unary(n, OnnxOperator.GLOBAL_AVERAGE_POOL);
            return null;
        }

        @Override
        public Void flatten(Layer.Flatten l) {
            unary(n, OnnxOperator.FLATTEN, ofInt("axis", 1));
            return null;
        }

        @Override
        public Void sigmoidRange(Layer.SigmoidRange r) {
            String sig = g.uniqueTensorName(id + ".sigmoid");
            g.node(OnnxOperator.SIGMOID, nodeName(id + ".sigmoid"), List.of(in(n, 0)), List.of(sig));
            String range = g.uniqueTensorName(id + ".range");
            g.addInitializer(range, new float[] {(float) (r.high() - r.low())});
            String scaled = g.uniqueTensorName(id + ".scaled");
            g.node(OnnxOperator.MUL, nodeName(id + ".mul"), List.of(sig, range), List.of(scaled));
            String low = g.uniqueTensorName(id + ".low");
            g.addInitializer(low, new float[] {(float) r.low()});
            String out = define(id);
            g.node(OnnxOperator.ADD, nodeName(id), List.of(scaled, low), List.of(out));
            tensorOf.put(id, out);
            return null;
        }

        @Override
        public Void relu6(Layer.Relu6 l) {
            // Clip's bounds are inputs from opset 11 on
            String out = define(id);
            g.node(OnnxOperator.CLIP, nodeName(id), List.of(in(n, 0), scalar(0f), scalar(6f)), List.of(out));
            tensorOf.put(id, out);
            return null;
        }

        @Override
        public Void hardsigmoid(Layer.Hardsigmoid l) {
            unary(n, OnnxOperator.HARD_SIGMOID, HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA);
            return null;
        }

        @Override
        public Void hardswish(Layer.Hardswish l) {
            if (OnnxOperator.HARD_SWISH.availableIn(options.opset())) {
                unary(n, OnnxOperator.HARD_SWISH);
            } else {
                // before opset 14: x * HardSigmoid(x), which is PyTorch's definition
                String gate = g.uniqueTensorName(id + ".gate");
                g.node(OnnxOperator.HARD_SIGMOID, nodeName(id + ".gate"), List.of(in(n, 0)), List.of(gate),
                        HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA);
                String out = define(id);
                g.node(OnnxOperator.MUL, nodeName(id), List.of(in(n, 0), gate), List.of(out));
                tensorOf.put(id, out);
            }
            return null;
        }

        @Override
        public Void sigmoid(Layer.Sigmoid l) {
            unary(n, OnnxOperator.SIGMOID);
            return null;
        }

        @Override
        public Void silu(Layer.Silu l) {
            String gate = g.uniqueTensorName(id + ".sigmoid");
            g.node(OnnxOperator.SIGMOID, nodeName(id + ".sigmoid"), List.of(in(n, 0)), List.of(gate));
            String out = define(id);
            g.node(OnnxOperator.MUL, nodeName(id), List.of(in(n, 0), gate), List.of(out));
            tensorOf.put(id, out);
            return null;
        }

        @Override
        public Void mul(Layer.Mul l) {
            // [N, C, H, W] * [N, C, 1, 1]: ONNX's multidirectional broadcasting, as PyTorch's
            String out = define(id);
            g.node(OnnxOperator.MUL, nodeName(id), List.of(in(n, 0), in(n, 1)), List.of(out));
            tensorOf.put(id, out);
            return null;
        }

        @Override
        public Void stochasticDepth(Layer.StochasticDepth l) {
            tensorOf.put(id, in(n, 0)); // the identity at inference
            return null;
        }

        @Override
        public Void layerNorm2d(Layer.LayerNorm2d l) {
            emitLayerNorm2d(n, l);
            return null;
        }

        @Override
        public Void channelLinear(Layer.ChannelLinear l) {
            emitChannelLinear(n, l);
            return null;
        }

        @Override
        public Void gelu(Layer.Gelu l) {
            // x * 0.5 * (1 + erf(x / sqrt 2)): ONNX's Gelu needs opset 20. Written in the form ONNX Runtime's
            // GeluFusion recognises (Div by sqrt 2, Erf, Add 1, Mul by x * 0.5), so it runs as one Gelu kernel.
            String half = g.uniqueTensorName(id + ".half");
            g.node(OnnxOperator.MUL, nodeName(id + ".half"), List.of(in(n, 0), scalar(0.5f)), List.of(half));
            String scaled = g.uniqueTensorName(id + ".div");
            g.node(OnnxOperator.DIV, nodeName(id + ".div"), List.of(in(n, 0), scalar((float) Math.sqrt(2))),
                    List.of(scaled));
            String erf = g.uniqueTensorName(id + ".erf");
            g.node(OnnxOperator.ERF, nodeName(id + ".erf"), List.of(scaled), List.of(erf));
            String onePlus = g.uniqueTensorName(id + ".one_plus_erf");
            g.node(OnnxOperator.ADD, nodeName(id + ".add"), List.of(erf, scalar(1f)), List.of(onePlus));
            String out = define(id);
            g.node(OnnxOperator.MUL, nodeName(id), List.of(half, onePlus), List.of(out));
            tensorOf.put(id, out);
            return null;
        }

        @Override
        public Void layerScale(Layer.LayerScale l) {
            if (plan != null && plan.isFoldedLayerScale(id)) {
                // The ChannelLinear before wrote this node's output already.
                if (!tensorOf.containsKey(id)) {
                    throw new IllegalStateException("layer scale " + id + " was not folded");
                }
                return null;
            }
            String gamma = g.uniqueTensorName(id + ".layer_scale");
            g.addInitializer(gamma, param(n, "layer_scale"), l.channels(), 1, 1);
            String out = define(id);
            g.node(OnnxOperator.MUL, nodeName(id), List.of(in(n, 0), gamma), List.of(out));
            tensorOf.put(id, out);
            return null;
        }
    }

    /** A float scalar initializer, one per value per graph (Clip's bounds, GELU's and layer norm's constants). */
    private String scalar(float value) {
        return scalars.computeIfAbsent(value, v -> {
            String name = g.uniqueTensorName("scalar_" + Float.toString(v).replace('.', '_'));
            g.addInitializer(name, new float[] {v});
            return name;
        });
    }

    private void unary(Node n, OnnxOperator op, dev.graft.exporter.onnx.OnnxAttribute... attributes) {
        String out = define(n.id());
        g.node(op, nodeName(n.id()), List.of(in(n, 0)), List.of(out), attributes);
        tensorOf.put(n.id(), out);
    }

    /** Weight and bias of a Conv2d or Linear after the folds that target it, rounded to float once. */
    private record Weights(float[] weight, float[] bias) {
    }

    private Weights foldedWeights(Node n, boolean hasBias, int outputs) {
        float[] w = param(n, "weight");
        float[] b = hasBias ? param(n, "bias") : null;
        Optional<String> before = plan == null ? Optional.empty() : plan.foldedIntoInputs(n.id());
        Optional<String> after = plan == null ? Optional.empty() : plan.foldedIntoOutputs(n.id());
        if (before.isEmpty() && after.isEmpty()) {
            return new Weights(w, b);
        }
        double[] wd = BatchNormFold.toDoubles(w);
        double[] bd = b == null ? new double[outputs] : BatchNormFold.toDoubles(b);
        if (before.isPresent()) {
            BatchNormFold.intoInputs(wd, bd, affineOf(before.get()));
        }
        if (after.isPresent()) {
            BatchNormFold.intoOutputs(wd, bd, affineOf(after.get()));
        }
        return new Weights(BatchNormFold.toFloats(n.id() + ".weight", wd), BatchNormFold.toFloats(n.id() + ".bias", bd));
    }

    /** The spec node whose output this layer's ONNX node writes: the BatchNorm folded into it, or itself. */
    private String carried(Node n) {
        return plan == null ? n.id() : plan.foldedIntoOutputs(n.id()).orElse(n.id());
    }

    private void emitConv(Node n, Layer.Conv2d c) {
        Weights w = foldedWeights(n, c.bias(), c.out());
        String weight = g.uniqueTensorName(n.id() + ".weight");
        g.addInitializer(weight, w.weight(), c.out(), c.in() / c.groups(), c.kernelH(), c.kernelW());
        List<String> inputs = new ArrayList<>(List.of(in(n, 0), weight));
        if (w.bias() != null) {
            String bias = g.uniqueTensorName(n.id() + ".bias");
            g.addInitializer(bias, w.bias(), c.out());
            inputs.add(bias);
        }
        String carried = carried(n);
        String out = define(carried);
        g.node(OnnxOperator.CONV, nodeName(n.id()), inputs, List.of(out),
                ofInts("kernel_shape", c.kernelH(), c.kernelW()), ofInts("strides", c.strideH(), c.strideW()),
                ofInts("pads", c.padH(), c.padW(), c.padH(), c.padW()), ofInts("dilations", c.dilation(), c.dilation()),
                ofInt("group", c.groups()));
        tensorOf.put(n.id(), out);
        tensorOf.put(carried, out);
    }

    private void emitLinear(Node n, Layer.Linear lin) {
        Weights w = foldedWeights(n, lin.bias(), lin.out());
        String weight = g.uniqueTensorName(n.id() + ".weight");
        g.addInitializer(weight, w.weight(), lin.out(), lin.in());
        List<String> inputs = new ArrayList<>(List.of(in(n, 0), weight));
        if (w.bias() != null) {
            String bias = g.uniqueTensorName(n.id() + ".bias");
            g.addInitializer(bias, w.bias(), lin.out());
            inputs.add(bias);
        }
        String carried = carried(n);
        String out = define(carried);
        // Gemm with transB keeps PyTorch's [out, in] weight as it is and adds the bias in the same node.
        g.node(OnnxOperator.GEMM, nodeName(n.id()), inputs, List.of(out), ofInt("transB", 1));
        tensorOf.put(n.id(), out);
        tensorOf.put(carried, out);
    }

    /**
     * {@code nn.Linear} at every pixel as a 1x1 Conv: the weight [out, in] becomes [out, in, 1, 1] (the same values in
     * the same order), the tensor stays NCHW, and an int8 export quantises it as QLinearConv like any convolution. A
     * layer scale that alone reads it is folded into its output rows.
     */
    private void emitChannelLinear(Node n, Layer.ChannelLinear lin) {
        float[] w = param(n, "weight");
        float[] b = lin.bias() ? param(n, "bias") : null;
        Optional<String> scale = plan == null ? Optional.empty() : plan.layerScaleFoldedInto(n.id());
        if (scale.isPresent()) {
            float[] gamma = param(net.node(scale.get()), "layer_scale");
            double[] wd = BatchNormFold.toDoubles(w);
            double[] bd = b == null ? new double[lin.out()] : BatchNormFold.toDoubles(b);
            for (int o = 0; o < lin.out(); o++) {
                for (int i = 0; i < lin.in(); i++) {
                    wd[o * lin.in() + i] *= gamma[o];
                }
                bd[o] *= gamma[o];
            }
            w = BatchNormFold.toFloats(n.id() + ".weight", wd);
            b = b == null ? null : BatchNormFold.toFloats(n.id() + ".bias", bd);
        }
        String weight = g.uniqueTensorName(n.id() + ".weight");
        g.addInitializer(weight, w, lin.out(), lin.in(), 1, 1);
        List<String> inputs = new ArrayList<>(List.of(in(n, 0), weight));
        if (b != null) {
            String bias = g.uniqueTensorName(n.id() + ".bias");
            g.addInitializer(bias, b, lin.out());
            inputs.add(bias);
        }
        String carried = scale.orElse(n.id());
        String out = define(carried);
        g.node(OnnxOperator.CONV, nodeName(n.id()), inputs, List.of(out), ofInts("kernel_shape", 1, 1));
        tensorOf.put(n.id(), out);
        tensorOf.put(carried, out);
    }

    /**
     * Layer normalisation over the channel axis of NCHW. ONNX's LayerNormalization (opset 17) normalises from its axis
     * to the last, so it needs the channels last: Transposes around it, which ONNX Runtime folds into its own layout
     * changes. Below 17 it is written out: mean and biased variance by ReduceMean over axis 1 (axes an attribute, as
     * up to opset 17), eps inside the square root, then the per-channel weight and bias. ONNX Runtime's CPU kernels
     * run the written-out form faster (docs/export.md has the figures), but opset 17 keeps the one operator: other
     * runtimes fuse it, and it materialises no tensor of squared deviations, which in a float16 graph overflows once
     * a deviation passes 256.
     */
    private void emitLayerNorm2d(Node n, Layer.LayerNorm2d l) {
        String id = n.id();
        if (OnnxOperator.LAYER_NORMALIZATION.availableIn(options.opset())) {
            String last = g.uniqueTensorName(id + ".channels_last");
            g.node(OnnxOperator.TRANSPOSE, nodeName(id + ".to_channels_last"), List.of(in(n, 0)), List.of(last),
                    ofInts("perm", 0, 2, 3, 1));
            String weight = g.uniqueTensorName(id + ".weight");
            g.addInitializer(weight, param(n, "weight"), l.channels());
            String bias = g.uniqueTensorName(id + ".bias");
            g.addInitializer(bias, param(n, "bias"), l.channels());
            String normed = g.uniqueTensorName(id + ".normalized");
            g.node(OnnxOperator.LAYER_NORMALIZATION, nodeName(id), List.of(last, weight, bias), List.of(normed),
                    ofInt("axis", -1), ofFloat("epsilon", (float) l.eps()));
            String out = define(id);
            g.node(OnnxOperator.TRANSPOSE, nodeName(id + ".to_channels_first"), List.of(normed), List.of(out),
                    ofInts("perm", 0, 3, 1, 2));
            tensorOf.put(id, out);
            return;
        }
        String mean = g.uniqueTensorName(id + ".mean");
        g.node(OnnxOperator.REDUCE_MEAN, nodeName(id + ".mean"), List.of(in(n, 0)), List.of(mean),
                ofInts("axes", 1), ofInt("keepdims", 1));
        String centred = g.uniqueTensorName(id + ".centred");
        g.node(OnnxOperator.SUB, nodeName(id + ".centre"), List.of(in(n, 0), mean), List.of(centred));
        String squared = g.uniqueTensorName(id + ".squared");
        g.node(OnnxOperator.MUL, nodeName(id + ".square"), List.of(centred, centred), List.of(squared));
        String variance = g.uniqueTensorName(id + ".variance");
        g.node(OnnxOperator.REDUCE_MEAN, nodeName(id + ".variance"), List.of(squared), List.of(variance),
                ofInts("axes", 1), ofInt("keepdims", 1));
        String padded = g.uniqueTensorName(id + ".variance_eps");
        g.node(OnnxOperator.ADD, nodeName(id + ".eps"), List.of(variance, scalar((float) l.eps())), List.of(padded));
        String std = g.uniqueTensorName(id + ".std");
        g.node(OnnxOperator.SQRT, nodeName(id + ".sqrt"), List.of(padded), List.of(std));
        String normed = g.uniqueTensorName(id + ".normalized");
        g.node(OnnxOperator.DIV, nodeName(id + ".div"), List.of(centred, std), List.of(normed));
        String weight = g.uniqueTensorName(id + ".weight");
        g.addInitializer(weight, param(n, "weight"), l.channels(), 1, 1);
        String scaled = g.uniqueTensorName(id + ".scaled");
        g.node(OnnxOperator.MUL, nodeName(id + ".mul"), List.of(normed, weight), List.of(scaled));
        String bias = g.uniqueTensorName(id + ".bias");
        g.addInitializer(bias, param(n, "bias"), l.channels(), 1, 1);
        String out = define(id);
        g.node(OnnxOperator.ADD, nodeName(id), List.of(scaled, bias), List.of(out));
        tensorOf.put(id, out);
    }

    private void emitBatchNorm(Node n, Layer.BatchNorm bn) {
        String id = n.id();
        if (plan == null) {
            List<String> inputs = new ArrayList<>();
            inputs.add(in(n, 0));
            for (String p : List.of("weight", "bias", "running_mean", "running_var")) {
                String name = g.uniqueTensorName(id + "." + p);
                g.addInitializer(name, param(n, p), bn.features());
                inputs.add(name);
            }
            String out = define(id);
            g.node(OnnxOperator.BATCH_NORMALIZATION, nodeName(id), inputs, List.of(out),
                    ofFloat("epsilon", (float) bn.eps()));
            tensorOf.put(id, out);
            return;
        }
        FoldPlan.Decision d = plan.decision(id);
        switch (d.kind()) {
            case INTO_PRECEDING -> {
                // The layer before wrote this node's output already.
                if (!tensorOf.containsKey(id)) {
                    throw new IllegalStateException("BatchNorm " + id + " was not folded into " + d.target());
                }
            }
            case INTO_FOLLOWING -> tensorOf.put(id, in(n, 0)); // the Linear after reads the un-normalised input
            case SCALE_SHIFT -> {
                BatchNormFold.Affine a = affineOf(id);
                long[] shape = bn.dims() == 2 ? new long[] {bn.features(), 1, 1} : new long[] {bn.features()};
                String scale = g.uniqueTensorName(id + ".scale");
                g.addInitializer(scale, BatchNormFold.toFloats(scale, a.scale()), shape);
                String shift = g.uniqueTensorName(id + ".shift");
                g.addInitializer(shift, BatchNormFold.toFloats(shift, a.shift()), shape);
                String scaled = g.uniqueTensorName(id + ".scaled");
                g.node(OnnxOperator.MUL, nodeName(id + ".mul"), List.of(in(n, 0), scale), List.of(scaled));
                String out = define(id);
                g.node(OnnxOperator.ADD, nodeName(id), List.of(scaled, shift), List.of(out));
                tensorOf.put(id, out);
            }
            default -> throw new AssertionError(d.kind());
        }
    }
}
