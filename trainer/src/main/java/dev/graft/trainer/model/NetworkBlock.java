package dev.graft.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.graft.models.GraftException;
import dev.graft.models.spec.BatchNormPair;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import dev.graft.models.spec.Shapes;
import dev.graft.models.weights.DType;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link Network} run by DJL: one block that evaluates the spec's nodes in order, so the engine computes exactly
 * what the spec (and therefore the exporter and the summary) says, residual joins included.
 *
 * <p>One flat block rather than a tree of DJL layers, for two reasons. The spec is a DAG with explicit inputs, which a
 * tree of sequential blocks can only express with wrappers; and DJL prefixes nested parameter names with its own
 * child names, whereas here every {@link Parameter} is named by the spec's full name ({@code layer1.0.bn1.weight},
 * {@code head.4.weight}). Weights therefore load from, and read back into, safetensors maps by name with no
 * translation table, and the learner can freeze and schedule layer groups by name.
 *
 * <p>Semantics follow PyTorch. BatchNorm uses its running statistics unless the block runs in training mode, in which
 * case it normalises with the batch statistics and updates the running ones in place exactly as PyTorch does
 * (momentum {@code m}: {@code running = (1 - m) running + m batch}, the variance unbiased). BatchNorm nodes listed in
 * {@link #setEvalBatchNorm} stay in evaluation mode even during training (fastai's frozen BatchNorm). Dropout and
 * stochastic depth are active only in training. The mobile activations (ReLU6, Hardswish, Hardsigmoid, SiLU) are
 * composed from NDArray operations with PyTorch's definitions, so autograd differentiates them like any other.
 * ConvNeXt's layer norm and per-pixel linear layers run the engine's own {@code layer_norm} and {@code linear} on a
 * channels-last view, as torchvision does between its permutes, so their results are views whose memory is
 * channels-last; GELU is the engine's exact (erf) form.
 * Intermediate arrays are closed as soon as their last reader has run, so a forward pass leaves only its output behind
 * in the input's manager.
 *
 * <p>Two shortcuts keep a frozen part cheap without changing what it computes (beyond float rounding). A convolution
 * read only by a BatchNorm is run as one convolution with the BatchNorm folded into its weight and bias whenever both
 * are constant in the pass: all their parameters frozen and the BatchNorm using its running statistics. The fold is
 * made on first use and remade after {@link #loadWeights}, {@link #updateWeights}, {@link #setEvalBatchNorm} or a
 * change of the arrays or of what is frozen; an array changed in place by other code is not noticed, so change
 * weights through those methods. And a max-pool whose input needs no gradient runs in Java ({@code CpuMaxPool}),
 * because the engine's CPU pool always takes its slower with-indices path. Both are float32 shortcuts: a block
 * initialised in float64 (the reference an export is proven against, see {@link InferenceModel#loadFloat64}) takes
 * neither, and its evaluation-mode BatchNorm uses epsilon as a double (as every layer norm does).
 */
public final class NetworkBlock extends AbstractBlock {
    private static final byte VERSION = 1;

    private final Network network;
    private final long seed;
    /** Full name to parameter, in the spec's order (execution order, PyTorch order within a node). */
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    /** Node id to its parameters by full name; absent for nodes without parameters. */
    private final Map<String, Map<String, Parameter>> byNode = new LinkedHashMap<>();
    /** How many times each value (node id or {@link Network#INPUT}) is read. */
    private final Map<String, Integer> reads = new LinkedHashMap<>();
    private volatile Set<String> evalBatchNorm = Set.of();
    /** Convolution node id to the BatchNorm node that alone reads it: the pairs that may be folded. */
    private final Map<String, Node> batchNormAfter = new LinkedHashMap<>();
    /** Folded weights of the constant convolution + BatchNorm pairs, by convolution node id. */
    private final Map<String, Folded> folds = new LinkedHashMap<>();
    /** Bumped whenever weights are loaded or BatchNorm modes change, so folds made before are not reused. */
    private int weightsVersion;
    /** Graft's seeded initial weights, computed when DJL first initialises the parameters, then dropped. */
    private Map<String, Tensor> seedWeights;

    /** A block whose untrained parameters are Graft's reference initialisation with seed 0. */
    public NetworkBlock(Network network) {
        this(network, 0);
    }

    /**
     * A block whose parameters, when DJL initialises them, take {@link Initializer#init(Network, long)}'s values for
     * this seed, so an untrained model is the same in every Graft tool.
     */
    public NetworkBlock(Network network, long seed) {
        super(VERSION);
        this.network = network;
        this.seed = seed;
        for (Node n : network.nodes()) {
            Map<String, Parameter> mine = new LinkedHashMap<>();
            for (Param p : n.layer().params()) {
                String full = n.paramName(p);
                Parameter parameter = Parameter.builder()
                    .setName(full)
                    .setType(typeOf(n.layer(), p))
                    .optShape(new Shape(p.shapeArray()))
                    .optRequiresGrad(p.learnable())
                    .optInitializer((manager, shape, dataType) -> initial(manager, full, shape, dataType))
                    .build();
                addParameter(parameter);
                byName.put(full, parameter);
                mine.put(full, parameter);
            }
            if (!mine.isEmpty()) {
                byNode.put(n.id(), Collections.unmodifiableMap(mine));
            }
            for (String in : n.inputs()) {
                reads.merge(in, 1, Integer::sum);
            }
        }
        // Dropouts between a pair are active in training, so only direct pairs are fused.
        for (BatchNormPair pair : network.batchNormPairs()) {
            if (pair.direct() && pair.convolution()) {
                batchNormAfter.put(pair.layer().id(), pair.batchNorm());
            }
        }
    }

    /** The spec this block runs. */
    public Network network() {
        return network;
    }

    /** Every parameter and buffer by full name, in the spec's order. */
    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(byName);
    }

    /** One parameter or buffer by full name ({@code layer1.0.bn1.running_mean}). */
    public Parameter parameter(String fullName) {
        Parameter p = byName.get(fullName);
        if (p == null) {
            throw new IllegalArgumentException("no parameter " + fullName + " in " + network.arch());
        }
        return p;
    }

    /** The parameters and buffers of one node by full name; empty for nodes that have none (relu, add, ...). */
    public Map<String, Parameter> nodeParameters(String nodeId) {
        network.node(nodeId);
        return byNode.getOrDefault(nodeId, Map.of());
    }

    /** The parameters and buffers of every node of one layer group (index into {@link Network#groups()}). */
    public Map<String, Parameter> groupParameters(int group) {
        if (group < 0 || group >= network.groups().size()) {
            throw new IllegalArgumentException("no layer group " + group + " in " + network.arch());
        }
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Node n : network.nodes()) {
            if (network.groupOf(n.id()) == group) {
                out.putAll(byNode.getOrDefault(n.id(), Map.of()));
            }
        }
        return out;
    }

    /**
     * BatchNorm nodes that run in evaluation mode even in a training pass: they normalise with, and leave unchanged,
     * their running statistics, while gradients still flow through them. Replaces the previous set.
     *
     * @throws IllegalArgumentException if an id is not a BatchNorm node of this network
     */
    public void setEvalBatchNorm(Collection<String> nodeIds) {
        Set<String> ids = new LinkedHashSet<>();
        for (String id : nodeIds) {
            if (!(network.node(id).layer() instanceof Layer.BatchNorm)) {
                throw new IllegalArgumentException(id + " is not a batchnorm node");
            }
            ids.add(id);
        }
        synchronized (folds) {
            evalBatchNorm = Collections.unmodifiableSet(ids);
            weightsVersion++;
        }
    }

    /**
     * Sets every parameter and buffer from tensors named by full name (as {@code WeightLoader} returns them). The
     * arrays are overwritten in place, so an optimiser or a parameter store holding them sees the new values.
     *
     * @throws GraftException if a name is missing or unknown, or a shape differs (all problems in one message)
     * @throws IllegalStateException if the block has not been initialised
     */
    public void loadWeights(Map<String, Tensor> weights) {
        load(weights, true);
    }

    /** Like {@link #loadWeights} for a subset (a pretrained body, say): parameters not named keep their values. */
    public void updateWeights(Map<String, Tensor> weights) {
        load(weights, false);
    }

    /** Every parameter and buffer by full name as F32 tensors: what a checkpoint saves. Bit-exact copies. */
    public Map<String, Tensor> readWeights() {
        requireInitialized();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : byName.entrySet()) {
            NDArray a = e.getValue().getArray();
            out.put(e.getKey(), Tensor.ofFloats(a.getShape().getShape(), a.toFloatArray()));
        }
        return out;
    }

    /**
     * Initialises the parameters in {@code manager} (Graft's seeded values) for images of the given size, then loads
     * {@code weights} if not null. A convenience for inference and tests; DJL's trainer initialises by itself.
     */
    public void initialize(NDManager manager, int height, int width, Map<String, Tensor> weights) {
        initialize(manager, DataType.FLOAT32, new Shape(1, network.inputChannels(), height, width));
        if (weights != null) {
            loadWeights(weights);
        }
    }

    /**
     * Initialises in float32 (training and inference) or float64 (inference only: the reference an export is proven
     * against, where the float32 rounding of the model itself is what is measured).
     */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
            throw new IllegalArgumentException("Graft networks run in float32 (or float64 for reference), not " + dataType);
        }
        try {
            super.initialize(manager, dataType, inputShapes);
        } finally {
            seedWeights = null;
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = checkInput(inputShapes);
        int[] out = Shapes.infer(network, (int) in.get(2), (int) in.get(3)).get(network.output().id());
        long[] dims = new long[out.length + 1];
        dims[0] = in.get(0);
        for (int i = 0; i < out.length; i++) {
            dims[i + 1] = out[i];
        }
        return new Shape[] {new Shape(dims)};
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        if (inputs.size() != 1) {
            throw new GraftException(network.arch() + " takes one input array, not " + inputs.size());
        }
        NDArray input = inputs.singletonOrThrow();
        checkInput(new Shape[] {input.getShape()});
        Device device = input.getDevice();
        Set<String> frozenBn = evalBatchNorm;
        Map<String, NDArray> values = new LinkedHashMap<>();
        Map<NDArray, Integer> pending = new IdentityHashMap<>();
        values.put(Network.INPUT, input);
        pending.put(input, reads.getOrDefault(Network.INPUT, 0));
        String outputId = network.output().id();
        Set<String> foldedAway = new LinkedHashSet<>();
        // Values a gradient must reach: those computed from a trainable parameter or from an input that needs one.
        // Tracked here because DJL's hasGradient() can be asked of leaves only (see CpuMaxPool#applies).
        Set<String> needGradient = new LinkedHashSet<>();
        if (input.hasGradient()) {
            needGradient.add(Network.INPUT);
        }
        for (Node n : network.nodes()) {
            List<NDArray> in = new ArrayList<>(n.inputs().size());
            boolean gradientIn = false;
            for (String id : n.inputs()) {
                in.add(values.get(id));
                gradientIn |= needGradient.contains(id);
            }
            if (gradientIn || !frozen(n)) {
                needGradient.add(n.id());
            }
            NDArray out;
            Node bn = batchNormAfter.get(n.id());
            // The fold is a float32 shortcut; a float64 pass computes each layer as the spec says.
            Folded folded = bn == null || input.getDataType() != DataType.FLOAT32 ? null
                : folded(n, bn, device, training, frozenBn);
            if (folded != null) {
                out = convolution((Layer.Conv2d) n.layer(), in.get(0), folded.weight, folded.bias);
                foldedAway.add(bn.id());
            } else if (foldedAway.contains(n.id())) {
                out = in.get(0); // this BatchNorm is inside the folded convolution before it
            } else {
                out = compute(n, in, store, device, training, frozenBn, gradientIn);
            }
            values.put(n.id(), out);
            int uses = reads.getOrDefault(n.id(), 0) + (n.id().equals(outputId) ? 1 : 0);
            pending.merge(out, uses, Integer::sum);
            for (int i = 0; i < in.size(); i++) {
                release(in.get(i), pending, input);
                String id = n.inputs().get(i);
                if (pending.getOrDefault(values.get(id), 0) == 0) {
                    values.remove(id);
                }
            }
            if (uses == 0) {
                release(out, pending, input);
            }
        }
        return new NDList(values.get(outputId));
    }

    @Override
    public String toString() {
        return "NetworkBlock(" + network.arch() + ", " + network.nodes().size() + " nodes, " + byName.size()
            + " parameters and buffers)";
    }

    // ---- one node --------------------------------------------------------------------------------------------

    private NDArray compute(Node n, List<NDArray> in, ParameterStore store, Device device, boolean training,
                            Set<String> frozenBn, boolean gradientIn) {
        return n.layer().accept(new Step(n, in, store, device, training, frozenBn, gradientIn));
    }

    /** One node's forward computation in the engine, PyTorch's semantics. */
    private final class Step implements Layer.Visitor<NDArray> {
        private final Node n;
        private final List<NDArray> in;
        private final NDArray x;
        private final ParameterStore store;
        private final Device device;
        private final boolean training;
        private final Set<String> frozenBn;
        private final boolean gradientIn;

        Step(Node n, List<NDArray> in, ParameterStore store, Device device, boolean training, Set<String> frozenBn,
             boolean gradientIn) {
            this.n = n;
            this.in = in;
            this.x = in.get(0);
            this.store = store;
            this.device = device;
            this.training = training;
            this.frozenBn = frozenBn;
            this.gradientIn = gradientIn;
        }

        private NDArray value(String param) {
            return NetworkBlock.this.value(store, n, param, device, training);
        }

        @Override
        public NDArray conv2d(Layer.Conv2d c) {
            NDArray w = value("weight");
            NDArray b = c.bias() ? value("bias") : null;
            return convolution(c, x, w, b);
        }

        @Override
        public NDArray batchNorm(Layer.BatchNorm bn) {
            boolean batchStats = training && !frozenBn.contains(n.id());
            if (!batchStats && x.getDataType() == DataType.FLOAT64) {
                return batchNormFloat64(n, bn, x, store, device);
            }
            // DJL's momentum weighs the old running value (running = m' running + (1 - m') batch), PyTorch's the
            // batch; DJL's PyTorch engine hands torch 1 - m', so m' = 1 - m reproduces PyTorch.
            return x.getNDArrayInternal().batchNorm(x,
                value("running_mean"),
                value("running_var"),
                value("weight"),
                value("bias"),
                1, (float) (1 - bn.momentum()), (float) bn.eps(), batchStats).singletonOrThrow();
        }

        @Override
        public NDArray relu(Layer.Relu l) {
            return Activation.relu(x);
        }

        @Override
        public NDArray maxPool(Layer.MaxPool p) {
            if (!gradientIn && !p.ceilMode() && CpuMaxPool.applies(x)) {
                NDArray pooled = CpuMaxPool.pool(x, p.kernel(), p.stride(), p.padding());
                if (pooled != null) {
                    return pooled;
                }
            }
            return Pool.maxPool2d(x, new Shape(p.kernel(), p.kernel()), new Shape(p.stride(), p.stride()),
                new Shape(p.padding(), p.padding()), p.ceilMode());
        }

        @Override
        public NDArray avgPool2d(Layer.AvgPool2d p) {
            // PyTorch's nn.AvgPool2d defaults: floor rounding, padded zeros counted
            return Pool.avgPool2d(x, new Shape(p.kernel(), p.kernel()), new Shape(p.stride(), p.stride()),
                new Shape(p.padding(), p.padding()), false, true);
        }

        @Override
        public NDArray concat(Layer.Concat l) {
            return NDArrays.concat(new NDList(in.toArray(new NDArray[0])), 1);
        }

        @Override
        public NDArray add(Layer.Add l) {
            NDArray sum = x.add(in.get(1));
            for (int i = 2; i < in.size(); i++) {
                NDArray next = sum.add(in.get(i));
                sum.close();
                sum = next;
            }
            return sum;
        }

        @Override
        public NDArray concatPool(Layer.ConcatPool l) {
            // fastai's AdaptiveConcatPool2d: max first, then average
            try (NDArray flat = spatialFlat(x); NDArray max = flat.max(new int[] {2}, true);
                 NDArray avg = flat.mean(new int[] {2}, true); NDArray both = NDArrays.concat(new NDList(max, avg), 1)) {
                return both.expandDims(3);
            }
        }

        @Override
        public NDArray avgPool(Layer.AvgPool l) {
            try (NDArray flat = spatialFlat(x); NDArray avg = flat.mean(new int[] {2}, true)) {
                return avg.expandDims(3);
            }
        }

        @Override
        public NDArray flatten(Layer.Flatten l) {
            return x.reshape(x.getShape().get(0), -1);
        }

        @Override
        public NDArray dropout(Layer.Dropout d) {
            if (!training || d.p() == 0) {
                return x;
            }
            return x.getNDArrayInternal().dropout(x, (float) d.p(), true).singletonOrThrow();
        }

        @Override
        public NDArray linear(Layer.Linear lin) {
            NDArray w = value("weight");
            NDArray b = lin.bias() ? value("bias") : null;
            return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
        }

        @Override
        public NDArray sigmoidRange(Layer.SigmoidRange r) {
            try (NDArray s = Activation.sigmoid(x); NDArray scaled = s.mul(r.high() - r.low())) {
                return scaled.add(r.low());
            }
        }

        @Override
        public NDArray relu6(Layer.Relu6 l) {
            return x.clip(0, 6);
        }

        @Override
        public NDArray hardsigmoid(Layer.Hardsigmoid l) {
            return hardSigmoid(x);
        }

        @Override
        public NDArray hardswish(Layer.Hardswish l) {
            try (NDArray gate = hardSigmoid(x)) {
                return x.mul(gate);
            }
        }

        @Override
        public NDArray sigmoid(Layer.Sigmoid l) {
            return Activation.sigmoid(x);
        }

        @Override
        public NDArray silu(Layer.Silu l) {
            try (NDArray gate = Activation.sigmoid(x)) {
                return x.mul(gate);
            }
        }

        @Override
        public NDArray mul(Layer.Mul l) {
            return x.mul(in.get(1)); // [N, C, H, W] * [N, C, 1, 1] broadcasts as in PyTorch
        }

        @Override
        public NDArray stochasticDepth(Layer.StochasticDepth d) {
            return training && d.p() > 0 ? NetworkBlock.stochasticDepth(x, d) : x;
        }

        @Override
        public NDArray layerNorm2d(Layer.LayerNorm2d l) {
            // torchvision moves the channels last and runs F.layer_norm over them; the same kernel runs here
            try (NDArray last = x.transpose(0, 2, 3, 1);
                 NDArray normed = layerNorm(last, value("weight"), value("bias"), l.eps())) {
                return normed.transpose(0, 3, 1, 2);
            }
        }

        @Override
        public NDArray channelLinear(Layer.ChannelLinear lin) {
            // nn.Linear on the channels-last view, as the ConvNeXt block computes it (a matrix product, not a 1x1
            // convolution, so the summation order is PyTorch's)
            NDArray w = value("weight");
            NDArray b = lin.bias() ? value("bias") : null;
            try (NDArray last = x.transpose(0, 2, 3, 1);
                 NDArray y = last.getNDArrayInternal().linear(last, w, b).singletonOrThrow()) {
                return y.transpose(0, 3, 1, 2);
            }
        }

        @Override
        public NDArray gelu(Layer.Gelu l) {
            // the engine's gelu is torch::nn::functional::gelu with its default approximate="none": the erf form
            return Activation.gelu(x);
        }

        @Override
        public NDArray layerScale(Layer.LayerScale l) {
            return x.mul(value("layer_scale")); // [N, C, H, W] * [C, 1, 1]
        }
    }

    /**
     * PyTorch's layer norm over the last axis of {@code x}, epsilon handed to the engine as a double: DJL's own
     * {@code layerNorm} takes it as a float, which the float64 reference should not inherit (in float32 the kernel
     * rounds it to float anyway).
     */
    private static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        return JniUtils.layerNorm((PtNDArray) x, new Shape(x.getShape().get(x.getShape().dimension() - 1)),
            (PtNDArray) weight, (PtNDArray) bias, eps);
    }

    /**
     * Evaluation-mode BatchNorm in float64 with epsilon as a double: the engine's batch-norm call takes epsilon as a
     * float, which a float64 reference should not inherit.
     */
    private NDArray batchNormFloat64(Node n, Layer.BatchNorm bn, NDArray x, ParameterStore store, Device device) {
        long[] dims = new long[x.getShape().dimension()];
        Arrays.fill(dims, 1);
        dims[1] = bn.features();
        Shape perChannel = new Shape(dims);
        NDArray mean = value(store, n, "running_mean", device, false);
        NDArray var = value(store, n, "running_var", device, false);
        NDArray gamma = value(store, n, "weight", device, false);
        NDArray beta = value(store, n, "bias", device, false);
        try (NDArray shifted = var.add(bn.eps()); NDArray std = shifted.sqrt(); NDArray scale = gamma.div(std);
             NDArray s = scale.reshape(perChannel); NDArray m = mean.reshape(perChannel);
             NDArray b = beta.reshape(perChannel); NDArray centred = x.sub(m); NDArray scaled = centred.mul(s)) {
            return scaled.add(b);
        }
    }

    private static NDArray convolution(Layer.Conv2d c, NDArray x, NDArray w, NDArray b) {
        return x.getNDArrayInternal().convolution(x, w, b, new Shape(c.strideH(), c.strideW()),
            new Shape(c.padH(), c.padW()), new Shape(c.dilation(), c.dilation()), c.groups()).singletonOrThrow();
    }

    // ---- folding constant BatchNorm into the convolution before it ------------------------------------------

    /**
     * A convolution with its BatchNorm folded in: {@code s = gamma / sqrt(running_var + eps)}, weight {@code w * s}
     * per output channel, bias {@code (b - running_mean) * s + beta}. Valid while the arrays it was made from are
     * the parameters' arrays and no weights were loaded since.
     */
    private record Folded(NDArray weight, NDArray bias, List<NDArray> sources, int version) {
        void close() {
            weight.close();
            bias.close();
        }
    }

    /**
     * The folded weights for a convolution and the BatchNorm that alone reads it, or null unless the pair is
     * constant in this pass: every parameter of both frozen (no gradient, so no optimiser step moves them) and the
     * BatchNorm normalising with its running statistics (evaluation, or held in evaluation mode). A frozen body in
     * head-only training is then one convolution per pair instead of a convolution and a BatchNorm pass.
     */
    private Folded folded(Node conv, Node bn, Device device, boolean training, Set<String> frozenBn) {
        boolean constant = (!training || frozenBn.contains(bn.id())) && frozen(conv) && frozen(bn);
        List<NDArray> sources = new ArrayList<>(6);
        if (constant) {
            byNode.get(conv.id()).values().forEach(p -> sources.add(p.getArray()));
            byNode.get(bn.id()).values().forEach(p -> sources.add(p.getArray()));
            constant = sources.stream().allMatch(a -> device.equals(a.getDevice()));
        }
        synchronized (folds) {
            Folded f = folds.get(conv.id());
            if (f != null && !(constant && f.version == weightsVersion && sameArrays(f.sources, sources))) {
                folds.remove(conv.id()).close();
                f = null;
            }
            if (constant && f == null) {
                f = fold((Layer.Conv2d) conv.layer(), (Layer.BatchNorm) bn.layer(), conv.id(), bn.id(), sources);
                folds.put(conv.id(), f);
            }
            return f;
        }
    }

    private Folded fold(Layer.Conv2d c, Layer.BatchNorm b, String convId, String bnId, List<NDArray> sources) {
        NDArray w = byName.get(convId + ".weight").getArray();
        NDArray gamma = byName.get(bnId + ".weight").getArray();
        NDArray beta = byName.get(bnId + ".bias").getArray();
        NDArray mean = byName.get(bnId + ".running_mean").getArray();
        NDArray var = byName.get(bnId + ".running_var").getArray();
        try (NDArray shifted = var.add((float) b.eps()); NDArray std = shifted.sqrt(); NDArray scale = gamma.div(std);
             NDArray perChannel = scale.reshape(-1, 1, 1, 1)) {
            NDArray weight = w.mul(perChannel);
            NDArray centred = c.bias() ? byName.get(convId + ".bias").getArray().sub(mean) : mean.neg();
            try (centred; NDArray scaled = centred.mul(scale)) {
                return new Folded(weight, scaled.add(beta), List.copyOf(sources), weightsVersion);
            }
        }
    }

    /** How many convolution + BatchNorm pairs currently run folded (for tests). */
    int foldedPairs() {
        synchronized (folds) {
            return folds.size();
        }
    }

    private boolean frozen(Node n) {
        return byNode.getOrDefault(n.id(), Map.of()).values().stream().noneMatch(Parameter::requiresGradient);
    }

    private static boolean sameArrays(List<NDArray> a, List<NDArray> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    /** PyTorch's Hardsigmoid, relu6(x + 3) / 6. */
    private static NDArray hardSigmoid(NDArray x) {
        try (NDArray shifted = x.add(3); NDArray clipped = shifted.clip(0, 6)) {
            return clipped.div(6);
        }
    }

    /**
     * torchvision's {@code stochastic_depth} in training: a Bernoulli(1 - p) draw per sample (row mode) or per batch,
     * survivors divided by 1 - p, so the expected output is the input.
     */
    private static NDArray stochasticDepth(NDArray x, Layer.StochasticDepth d) {
        long[] dims = new long[x.getShape().dimension()];
        Arrays.fill(dims, 1);
        if (d.mode().equals(Layer.StochasticDepth.ROW)) {
            dims[0] = x.getShape().get(0);
        }
        float keep = (float) (1 - d.p());
        try (NDArray u = x.getManager().randomUniform(0f, 1f, new Shape(dims), DataType.FLOAT32, x.getDevice());
             NDArray kept = u.lt(keep); NDArray mask = kept.toType(DataType.FLOAT32, false);
             NDArray noise = mask.div(keep)) {
            return x.mul(noise);
        }
    }

    /** [N, C, H, W] as [N, C, H * W]: PyTorch's engine reduces over one axis at a time. */
    private static NDArray spatialFlat(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), -1);
    }

    private NDArray value(ParameterStore store, Node n, String param, Device device, boolean training) {
        return store.getValue(byName.get(n.id() + "." + param), device, training);
    }

    /** One read of {@code array} is done; closes it when nobody else will read it (the caller's input excepted). */
    private static void release(NDArray array, Map<NDArray, Integer> pending, NDArray input) {
        int left = pending.merge(array, -1, Integer::sum);
        if (left <= 0) {
            pending.remove(array);
            if (array != input) {
                array.close();
            }
        }
    }

    // ---- weights ---------------------------------------------------------------------------------------------

    private void load(Map<String, Tensor> weights, boolean requireAll) {
        requireInitialized();
        List<String> unknown = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            Parameter p = byName.get(e.getKey());
            if (p == null) {
                unknown.add(e.getKey());
            } else if (!Arrays.equals(e.getValue().shape(), p.getShape().getShape())) {
                wrong.add(e.getKey() + " " + Arrays.toString(e.getValue().shape()) + " vs "
                    + Arrays.toString(p.getShape().getShape()));
            }
        }
        List<String> missing = new ArrayList<>();
        if (requireAll) {
            for (String name : byName.keySet()) {
                if (!weights.containsKey(name)) {
                    missing.add(name);
                }
            }
        }
        if (!unknown.isEmpty() || !wrong.isEmpty() || !missing.isEmpty()) {
            List<String> parts = new ArrayList<>();
            if (!missing.isEmpty()) {
                parts.add(missing.size() + " missing (" + shortList(missing) + ")");
            }
            if (!unknown.isEmpty()) {
                parts.add(unknown.size() + " unknown (" + shortList(unknown) + ")");
            }
            if (!wrong.isEmpty()) {
                parts.add(wrong.size() + " of the wrong shape (" + shortList(wrong) + ")");
            }
            throw new GraftException("weights do not fit " + network.arch() + ": " + String.join("; ", parts));
        }
        synchronized (folds) {
            weightsVersion++;
        }
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            Tensor t = e.getValue();
            NDArray target = byName.get(e.getKey()).getArray();
            ByteBuffer bytes;
            if (target.getDataType() == DataType.FLOAT64) {
                float[] f = t.toFloatArray();
                bytes = ByteBuffer.allocate(f.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : f) {
                    bytes.putDouble(v);
                }
                bytes.flip();
            } else {
                bytes = (t.dtype() == DType.F32 ? t : t.toF32()).data();
            }
            // On the CPU the bytes go straight into the tensor's own memory. NDArray.set takes a native path that runs
            // under PyTorch's deprecated AutoNonVariableTypeMode, which prints a paragraph-long deprecation warning to
            // stderr on first use: a plain `graft export` or `graft train` showed it to every user.
            if (CpuMemory.isShared(target)) {
                ByteBuffer memory = target.toByteBuffer(true);
                memory.clear();
                memory.put(bytes.duplicate().rewind());
            } else {
                target.set(bytes);
            }
        }
    }

    private void requireInitialized() {
        if (!isInitialized()) {
            throw new IllegalStateException("initialize the block before moving weights in or out");
        }
    }

    private NDArray initial(NDManager manager, String fullName, Shape shape, DataType dataType) {
        if (seedWeights == null) {
            seedWeights = Initializer.init(network, seed);
        }
        Tensor t = seedWeights.get(fullName);
        return manager.create(t.toFloatArray(), shape).toType(dataType, false);
    }

    private Shape checkInput(Shape[] shapes) {
        if (shapes.length != 1 || shapes[0].dimension() != 4 || shapes[0].get(1) != network.inputChannels()) {
            throw new GraftException(network.arch() + " takes images shaped [N, " + network.inputChannels()
                + ", H, W], not " + (shapes.length == 1 ? shapes[0] : Arrays.toString(shapes)));
        }
        return shapes[0];
    }

    private static Parameter.Type typeOf(Layer layer, Param p) {
        if (layer instanceof Layer.BatchNorm) {
            return switch (p.name()) {
                case "weight" -> Parameter.Type.GAMMA;
                case "bias" -> Parameter.Type.BETA;
                case "running_mean" -> Parameter.Type.RUNNING_MEAN;
                case "running_var" -> Parameter.Type.RUNNING_VAR;
                default -> Parameter.Type.OTHER;
            };
        }
        return switch (p.name()) {
            case "weight" -> Parameter.Type.WEIGHT;
            case "bias" -> Parameter.Type.BIAS;
            default -> Parameter.Type.OTHER;
        };
    }

    private static String shortList(List<String> items) {
        int shown = 6;
        return items.size() <= shown ? String.join(", ", items)
            : String.join(", ", items.subList(0, shown)) + ", ... " + (items.size() - shown) + " more";
    }
}
