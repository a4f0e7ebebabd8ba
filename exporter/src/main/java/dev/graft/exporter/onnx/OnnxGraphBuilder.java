package dev.graft.exporter.onnx;

import com.google.protobuf.UnsafeByteOperations;
import dev.graft.models.GraftVersion;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.graft.exporter.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto.DataType;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorShapeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TypeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Assembles one ONNX model, node by node, and checks as it goes the rules that protobuf cannot.
 *
 * <p>ONNX graphs are in static single-assignment form: every tensor name is produced exactly once (by a graph
 * input, an initializer or a node output) and nodes appear in topological order. A model that breaks either rule
 * serialises without complaint and fails only when a runtime loads it, with a message about a tensor name the
 * translation made up. This builder fails at the call that breaks the rule instead: a duplicate node or tensor
 * name, or a node input nobody has produced yet, is an {@link IllegalStateException}; an operator that does not
 * exist at the model's opset is an {@link IllegalArgumentException}.
 *
 * <p>It also owns the parts of a model that must agree with each other and that every export would otherwise
 * repeat: the opset import and its IR version ({@link OnnxOpset}), the producer, weights as little-endian
 * {@code raw_data}, and metadata written in key order so the same export gives the same bytes.
 *
 * <p>Not thread-safe; one builder makes one model.
 */
public final class OnnxGraphBuilder {
    /** The {@code producer_name} of every model Graft writes. */
    public static final String PRODUCER_NAME = "graft";

    private final String graphName;
    private final int opset;
    private String producerVersion = GraftVersion.get();
    private String docString = "";
    private final Map<String, String> metadata = new TreeMap<>();

    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private final List<ValueInfoProto> inputs = new ArrayList<>();
    private final List<ValueInfoProto> outputs = new ArrayList<>();

    private final Set<String> nodeNames = new HashSet<>();
    private final Set<String> tensorNames = new HashSet<>();
    private final Set<String> outputNames = new LinkedHashSet<>();

    /** A builder for a model at {@link OnnxOpset#DEFAULT}. */
    public OnnxGraphBuilder(String graphName) {
        this(graphName, OnnxOpset.DEFAULT);
    }

    /**
     * A builder for a model at {@code opset}.
     *
     * @throws IllegalArgumentException if Graft cannot write {@code opset}
     */
    public OnnxGraphBuilder(String graphName, int opset) {
        this.graphName = requireName(graphName, "graph");
        this.opset = OnnxOpset.requireSupported(opset);
    }

    /** The default-domain opset the model imports. */
    public int opset() {
        return opset;
    }

    /** The IR version the model declares, fixed by the opset. */
    public int irVersion() {
        return OnnxOpset.irVersion(opset);
    }

    /** Overrides {@code producer_version}, which defaults to the version of Graft that built this class. */
    public OnnxGraphBuilder producerVersion(String version) {
        this.producerVersion = Objects.requireNonNull(version, "version");
        return this;
    }

    /** Sets the model's {@code doc_string}, a human-readable note tools such as Netron show. */
    public OnnxGraphBuilder docString(String text) {
        this.docString = Objects.requireNonNull(text, "text");
        return this;
    }

    /**
     * Adds entries to the model's {@code metadata_props}, replacing any earlier value for the same key. ONNX
     * Runtime hands them back as custom metadata, which is how an exported model carries its class labels and
     * preprocessing.
     */
    public OnnxGraphBuilder metadata(Map<String, String> entries) {
        entries.forEach((k, v) -> metadata.put(
                requireName(k, "metadata key"), Objects.requireNonNull(v, () -> "metadata value of " + k)));
        return this;
    }

    /**
     * {@code base} if no node has that name yet, else {@code base_1}, {@code base_2}, ... whichever is free. The
     * name is not reserved: use it before asking for the next one.
     */
    public String uniqueNodeName(String base) {
        return unique(requireName(base, "node"), nodeNames);
    }

    /**
     * {@code base} if no tensor has that name yet, else {@code base_1}, {@code base_2}, ... whichever is free. The
     * name is not reserved: use it before asking for the next one.
     */
    public String uniqueTensorName(String base) {
        return unique(requireName(base, "tensor"), tensorNames);
    }

    /** Whether a graph input, initializer or node output already produces {@code name}. */
    public boolean hasTensor(String name) {
        return tensorNames.contains(name);
    }

    /** Declares a float graph input; see {@link #addInput(String, DataType, OnnxDim...)}. */
    public OnnxGraphBuilder addInput(String name, OnnxDim... dims) {
        return addInput(name, DataType.FLOAT, dims);
    }

    /**
     * Declares a graph input of the given element type and shape; symbolic dimensions let the caller choose
     * batch and image size at run time.
     *
     * @throws IllegalStateException if a tensor of that name exists already
     */
    public OnnxGraphBuilder addInput(String name, DataType type, OnnxDim... dims) {
        ValueInfoProto info = valueInfo(requireName(name, "input"), type, dims);
        defineTensor(name);
        inputs.add(info);
        return this;
    }

    /** Declares a float graph output; see {@link #addOutput(String, DataType, OnnxDim...)}. */
    public OnnxGraphBuilder addOutput(String name, OnnxDim... dims) {
        return addOutput(name, DataType.FLOAT, dims);
    }

    /**
     * Declares a graph output. The tensor may be produced by a node added later; {@link #build()} checks that it
     * was.
     *
     * @throws IllegalStateException if the output was declared already
     */
    public OnnxGraphBuilder addOutput(String name, DataType type, OnnxDim... dims) {
        ValueInfoProto info = valueInfo(requireName(name, "output"), type, dims);
        if (!outputNames.add(name)) {
            throw new IllegalStateException("graph output '" + name + "' is declared twice");
        }
        outputs.add(info);
        return this;
    }

    /**
     * Adds a float32 initializer (a weight), stored as little-endian {@code raw_data}: four bytes per value
     * instead of protobuf's tagged {@code float_data}, and the layout every runtime reads without conversion.
     *
     * @param shape the tensor's dimensions; empty for a scalar
     * @throws IllegalStateException if a tensor of that name exists already
     * @throws IllegalArgumentException if {@code data.length} is not the product of {@code shape}
     */
    public OnnxGraphBuilder addInitializer(String name, float[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer raw = ByteBuffer.allocate(Math.multiplyExact(data.length, Float.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        return addRawInitializer(name, DataType.FLOAT, raw.array(), shape);
    }

    /**
     * Adds an int64 initializer, little-endian {@code raw_data}: shapes, axes and other integer operands.
     *
     * @see #addInitializer(String, float[], long...)
     */
    public OnnxGraphBuilder addInitializer(String name, long[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer raw = ByteBuffer.allocate(Math.multiplyExact(data.length, Long.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(data);
        return addRawInitializer(name, DataType.INT64, raw.array(), shape);
    }

    /**
     * Adds a uint8 initializer, such as the zero point of {@code QuantizeLinear}; each byte is read as 0..255.
     *
     * @see #addInitializer(String, float[], long...)
     */
    public OnnxGraphBuilder addUint8Initializer(String name, byte[] data, long... shape) {
        checkCount(name, data.length, shape);
        return addRawInitializer(name, DataType.UINT8, data.clone(), shape);
    }

    /**
     * Adds an int8 initializer, such as a signed zero point or quantised weights.
     *
     * @see #addInitializer(String, float[], long...)
     */
    public OnnxGraphBuilder addInt8Initializer(String name, byte[] data, long... shape) {
        checkCount(name, data.length, shape);
        return addRawInitializer(name, DataType.INT8, data.clone(), shape);
    }

    private OnnxGraphBuilder addRawInitializer(String name, DataType type, byte[] raw, long[] shape) {
        defineTensor(name);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
        for (long d : shape) {
            t.addDims(d);
        }
        // The array is ours alone (freshly allocated or cloned), so wrapping it without a copy is safe.
        initializers.add(t.setRawData(UnsafeByteOperations.unsafeWrap(raw)).build());
        return this;
    }

    /** Adds a node named after its operator ({@code Conv}, {@code Conv_1}, ...); see the full overload. */
    public NodeProto node(OnnxOperator op, List<String> inputs, List<String> outputs, OnnxAttribute... attributes) {
        return node(op, uniqueNodeName(op.opType()), inputs, outputs, attributes);
    }

    /**
     * Adds a node. Inputs must already be produced (graph inputs, initializers or earlier nodes' outputs), which
     * keeps the graph in the topological order ONNX requires; an empty string stands for an omitted optional
     * input or output.
     *
     * @throws IllegalStateException if the node name or an output name is taken, or an input is not produced yet
     * @throws IllegalArgumentException if {@code op} does not exist at the model's opset, or an attribute repeats
     */
    public NodeProto node(OnnxOperator op, String name, List<String> inputs, List<String> outputs,
                          OnnxAttribute... attributes) {
        Objects.requireNonNull(op, "op");
        requireName(name, "node");
        op.versionAt(opset); // throws if the operator is too new for this model
        Set<String> attributeNames = new HashSet<>();
        NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType(op.opType())
                .addAllInput(inputs).addAllOutput(outputs);
        for (OnnxAttribute a : attributes) {
            if (!attributeNames.add(a.name())) {
                throw new IllegalArgumentException("node '" + name + "' sets attribute '" + a.name() + "' twice");
            }
            n.addAttribute(a.toProto());
        }
        return add(n.build());
    }

    /**
     * Adds a node taken from another model (or rewritten from one), with the same checks as
     * {@link #node(OnnxOperator, String, List, List, OnnxAttribute...)} except the operator's opset, which the source
     * model vouches for. Graph rewrites (quantisation, half precision) use it to carry nodes over unchanged or with
     * renamed inputs and outputs.
     *
     * @throws IllegalStateException if the node name or an output name is taken, or an input is not produced yet
     */
    public NodeProto copyNode(NodeProto node) {
        Objects.requireNonNull(node, "node");
        requireName(node.getName(), "node");
        return add(node);
    }

    private NodeProto add(NodeProto node) {
        String name = node.getName();
        String op = node.getOpType();
        if (nodeNames.contains(name)) {
            throw new IllegalStateException("duplicate ONNX node name '" + name + "'");
        }
        for (String in : node.getInputList()) {
            if (!in.isEmpty() && !tensorNames.contains(in)) {
                throw new IllegalStateException("node '" + name + "' (" + op + ") reads tensor '" + in
                        + "', which no graph input, initializer or earlier node produces");
            }
        }
        Set<String> seen = new HashSet<>();
        for (String out : node.getOutputList()) {
            if (!out.isEmpty() && (tensorNames.contains(out) || !seen.add(out))) {
                throw new IllegalStateException(
                        "node '" + name + "' (" + op + ") writes tensor '" + out + "', which exists already");
            }
        }
        nodeNames.add(name);
        tensorNames.addAll(seen);
        nodes.add(node);
        return node;
    }

    /**
     * Adds an initializer taken from another model as it is (any element type, any storage).
     *
     * @throws IllegalStateException if a tensor of that name exists already
     */
    public OnnxGraphBuilder copyInitializer(TensorProto tensor) {
        Objects.requireNonNull(tensor, "tensor");
        defineTensor(tensor.getName());
        initializers.add(tensor);
        return this;
    }

    /**
     * Declares a graph input taken from another model, type and symbolic shape included.
     *
     * @throws IllegalStateException if a tensor of that name exists already
     */
    public OnnxGraphBuilder copyInput(ValueInfoProto input) {
        Objects.requireNonNull(input, "input");
        defineTensor(input.getName());
        inputs.add(input);
        return this;
    }

    /**
     * Declares a graph output taken from another model; like {@link #addOutput}, it may be produced later.
     *
     * @throws IllegalStateException if the output was declared already
     */
    public OnnxGraphBuilder copyOutput(ValueInfoProto output) {
        Objects.requireNonNull(output, "output");
        if (!outputNames.add(requireName(output.getName(), "output"))) {
            throw new IllegalStateException("graph output '" + output.getName() + "' is declared twice");
        }
        outputs.add(output);
        return this;
    }

    /**
     * Adds a float16 initializer from IEEE half-precision bit patterns (see {@link Float16}), little-endian
     * {@code raw_data}.
     *
     * @see #addInitializer(String, float[], long...)
     */
    public OnnxGraphBuilder addFloat16Initializer(String name, short[] bits, long... shape) {
        checkCount(name, bits.length, shape);
        ByteBuffer raw = ByteBuffer.allocate(Math.multiplyExact(bits.length, Short.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        raw.asShortBuffer().put(bits);
        return addRawInitializer(name, DataType.FLOAT16, raw.array(), shape);
    }

    /**
     * Builds the model. The builder stays usable, so a caller may build, add, and build again.
     *
     * @throws IllegalStateException if a declared graph output is never produced, or there is none
     */
    public ModelProto build() {
        if (outputNames.isEmpty()) {
            throw new IllegalStateException("ONNX graph '" + graphName + "' declares no outputs");
        }
        for (String out : outputNames) {
            if (!tensorNames.contains(out)) {
                throw new IllegalStateException(
                        "graph output '" + out + "' is declared but nothing in graph '" + graphName + "' produces it");
            }
        }
        GraphProto graph = GraphProto.newBuilder()
                .setName(graphName)
                .addAllNode(nodes)
                .addAllInitializer(initializers)
                .addAllInput(inputs)
                .addAllOutput(outputs)
                .build();
        ModelProto.Builder model = ModelProto.newBuilder()
                .setIrVersion(irVersion())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setProducerName(PRODUCER_NAME)
                .setProducerVersion(producerVersion)
                .setGraph(graph);
        if (!docString.isEmpty()) {
            model.setDocString(docString);
        }
        metadata.forEach((k, v) -> model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build();
    }

    private void defineTensor(String name) {
        requireName(name, "tensor");
        if (!tensorNames.add(name)) {
            throw new IllegalStateException("duplicate ONNX tensor name '" + name + "'");
        }
    }

    private static ValueInfoProto valueInfo(String name, DataType type, OnnxDim... dims) {
        Objects.requireNonNull(type, "type");
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (OnnxDim d : dims) {
            shape.addDim(d.toProto());
        }
        TypeProto.Tensor tensor = TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(tensor)).build();
    }

    private static void checkCount(String name, int length, long[] shape) {
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("initializer '" + name + "' has a negative dimension: " + d);
            }
            count = Math.multiplyExact(count, d);
        }
        if (count != length) {
            throw new IllegalArgumentException("initializer '" + name + "' has " + length + " values but its shape "
                    + Arrays.toString(shape) + " holds " + count);
        }
    }

    private static String unique(String base, Set<String> taken) {
        if (!taken.contains(base)) {
            return base;
        }
        for (int i = 1; ; i++) {
            String candidate = base + "_" + i;
            if (!taken.contains(candidate)) {
                return candidate;
            }
        }
    }

    private static String requireName(String name, String what) {
        Objects.requireNonNull(name, what + " name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an ONNX " + what + " name cannot be empty");
        }
        return name;
    }

}
