package dev.graft.benchmarks.proof;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.NetworkBlock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Seeded weights whose BatchNorm layers look like a trained network's, for proving exports under realistic numerics.
 *
 * <p>Freshly initialised weights are a poor test of an export: every BatchNorm is the identity (mean 0, variance 1,
 * gamma 1, beta 0), so a fold that ignores the statistics or gets epsilon wrong changes almost nothing, and float32
 * rounding stays tiny. Drawing running statistics at random is no better: statistics that do not describe the
 * activations they normalise make them grow layer after layer, until the softmax saturates and every output is exactly
 * 0 or 1, which hides every error. A trained network has both: statistics far from the identity, and statistics that
 * describe its activations. So:
 * <ol>
 *   <li>Convolutions and Linear layers start from {@link Initializer}'s seeded values (torchvision's and fastai's
 *       initialisation); every BatchNorm gets gamma N(1, 0.15) and beta N(0, 0.05) per channel.</li>
 *   <li>Training-mode passes over {@value #CALIBRATION_BATCH} seeded N(0, 1) images of {@value #CALIBRATION_SIZE}
 *       px, with momentum 1 and dropout off, set every running mean and variance to the statistics of the activations
 *       it normalises, a few BatchNorms per pass in network order with those before them in evaluation mode.</li>
 *   <li>Each convolution read only by its BatchNorm has every output channel scaled by {@code a} so that the
 *       channel's variance becomes a draw log-uniform in [0.05, 5], and the running statistics are scaled with it
 *       (mean {@code a * mean}, variance {@code a^2 * variance}, gamma corrected for epsilon, which changes it only
 *       for near-silent channels). The BatchNorm's output is unchanged, so the network
 *       computes what it did, but its folds now carry trained-like scales (resnet50's body, seed 0: |running mean| 5th,
 *       50th, 95th percentiles 0.024, 0.32, 1.7; variance 0.063, 0.51, 4.0; gamma 0.76, 1.00, 1.25).</li>
 * </ol>
 * With a fastai head this gives logits of a few units on N(0, 1) inputs: probabilities neither uniform nor saturated.
 */
public final class TrainedLikeWeights {
    /** The smallest and largest running variance drawn for a convolution's output channel. */
    public static final double VAR_LOW = 0.05;
    public static final double VAR_HIGH = 5;
    /** Standard deviations of gamma around 1 and of beta around 0. */
    public static final double GAMMA_STD = 0.15;
    public static final double BETA_STD = 0.05;
    /** The calibration pass's images and their size. */
    public static final int CALIBRATION_BATCH = 32;
    public static final int CALIBRATION_SIZE = 64;
    /** The most calibration passes; BatchNorms are measured a group at a time in this many passes at most. */
    public static final int CALIBRATION_PASSES = 24;

    private TrainedLikeWeights() {
    }

    /** Every parameter and buffer of {@code network}, seeded: the same seed gives the same weights. */
    public static Map<String, Tensor> of(Network network, long seed) {
        return of(network, seed, CALIBRATION_BATCH);
    }

    /**
     * As {@link #of(Network, long)} with {@code calibrationBatch} images per calibration pass: fewer are quicker
     * (the passes dominate the cost on a deep body) and leave the statistics a little noisier.
     */
    public static Map<String, Tensor> of(Network network, long seed, int calibrationBatch) {
        return of(network, seed, calibrationBatch, CALIBRATION_SIZE);
    }

    /**
     * As {@link #of(Network, long, int)}, calibrated on images of {@code calibrationSize} px. The mobile bodies need
     * the size they will run at: at 64 px their last stages are 2 x 2, and statistics measured there leave a 224 px
     * forward saturated (every probability exactly 0 or 1); the ResNets' statistics carry over.
     */
    public static Map<String, Tensor> of(Network network, long seed, int calibrationBatch, int calibrationSize) {
        Map<String, Tensor> w = new LinkedHashMap<>(Initializer.init(network, seed));
        SplittableRandom root = new SplittableRandom(seed ^ 0x7A11EDL);
        Map<String, SplittableRandom> variances = new LinkedHashMap<>();
        for (Node n : network.nodes()) {
            SplittableRandom r = root.split();
            if (n.layer() instanceof Layer.BatchNorm bn) {
                int c = bn.features();
                float[] gamma = new float[c];
                float[] beta = new float[c];
                for (int i = 0; i < c; i++) {
                    gamma[i] = (float) (1 + GAMMA_STD * r.nextGaussian());
                    beta[i] = (float) (BETA_STD * r.nextGaussian());
                }
                w.put(n.id() + ".weight", Tensor.ofFloats(new long[] {c}, gamma));
                w.put(n.id() + ".bias", Tensor.ofFloats(new long[] {c}, beta));
                variances.put(n.id(), r.split());
            }
        }
        Map<String, Tensor> measured = measure(network, w, seed, calibrationBatch, calibrationSize);
        Set<String> convolutionPaired = network.batchNormPairs().stream().filter(p -> p.direct() && p.convolution())
                .map(p -> p.batchNorm().id()).collect(Collectors.toSet());
        for (Node n : network.nodes()) {
            if (!(n.layer() instanceof Layer.BatchNorm bn)) {
                continue;
            }
            float[] mean = measured.get(n.id() + ".running_mean").toFloatArray();
            float[] var = measured.get(n.id() + ".running_var").toFloatArray();
            String in = n.inputs().get(0);
            if (convolutionPaired.contains(n.id())) {
                Layer.Conv2d conv = (Layer.Conv2d) network.node(in).layer();
                float[] weight = w.get(in + ".weight").toFloatArray();
                float[] bias = conv.bias() ? w.get(in + ".bias").toFloatArray() : null;
                int perChannel = weight.length / bn.features();
                SplittableRandom r = variances.get(n.id());
                float[] gamma = w.get(n.id() + ".weight").toFloatArray();
                for (int ch = 0; ch < bn.features(); ch++) {
                    double target = logUniform(r, VAR_LOW, VAR_HIGH);
                    if (!(var[ch] > 1e-8)) {
                        continue; // a dead channel stays as it is
                    }
                    double a = Math.sqrt(target / var[ch]);
                    for (int i = ch * perChannel; i < (ch + 1) * perChannel; i++) {
                        weight[i] = (float) (weight[i] * a);
                    }
                    if (bias != null) {
                        bias[ch] = (float) (bias[ch] * a);
                    }
                    // gamma keeps the output exact where epsilon is not negligible beside the variance
                    gamma[ch] = (float) (gamma[ch] * Math.sqrt(target + bn.eps()) / (a * Math.sqrt(var[ch] + bn.eps())));
                    mean[ch] = (float) (mean[ch] * a);
                    var[ch] = (float) target;
                }
                w.put(n.id() + ".weight", Tensor.ofFloats(new long[] {gamma.length}, gamma));
                w.put(in + ".weight", Tensor.ofFloats(w.get(in + ".weight").shape(), weight));
                if (bias != null) {
                    w.put(in + ".bias", Tensor.ofFloats(new long[] {bias.length}, bias));
                }
            }
            w.put(n.id() + ".running_mean", Tensor.ofFloats(new long[] {mean.length}, mean));
            w.put(n.id() + ".running_var", Tensor.ofFloats(new long[] {var.length}, var));
        }
        return Collections.unmodifiableMap(w);
    }

    /** The weights after one training-mode pass that sets every running statistic to its batch's. */
    private static Map<String, Tensor> measure(Network network, Map<String, Tensor> weights, long seed,
                                               int batch, int size) {
        Network.Builder b = Network.builder().arch(network.arch()).inputChannels(network.inputChannels())
                .bodyEnd(network.bodyEnd());
        for (Node n : network.nodes()) {
            Layer l = n.layer();
            if (l instanceof Layer.BatchNorm bn) {
                l = new Layer.BatchNorm(bn.features(), bn.dims(), bn.eps(), 1);
            } else if (l instanceof Layer.Dropout) {
                l = new Layer.Dropout(0);
            } else if (l instanceof Layer.StochasticDepth d) {
                l = new Layer.StochasticDepth(0, d.mode());
            }
            b.add(new Node(n.id(), l, n.inputs()));
        }
        Network calibration = b.groups(network.groups()).build();
        int c = network.inputChannels();
        float[] x = new float[batch * c * size * size];
        Random random = new Random(~seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        List<String> batchNorms = network.nodes().stream().filter(n -> n.layer() instanceof Layer.BatchNorm)
                .map(Node::id).toList();
        int group = Math.max(1, (batchNorms.size() + CALIBRATION_PASSES - 1) / CALIBRATION_PASSES);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NetworkBlock block = new NetworkBlock(calibration);
            block.initialize(manager, size, size, weights);
            NDArray input = manager.create(x, new Shape(batch, c, size, size));
            // In order, a few BatchNorms at a time with those before them already in evaluation mode: each is
            // measured on the activations the finished network will give it, so no mismatch compounds with depth.
            for (int done = 0; done < batchNorms.size(); done += group) {
                block.setEvalBatchNorm(batchNorms.subList(0, done));
                block.forward(new ParameterStore(manager, false), new NDList(input), true).close();
            }
            return block.readWeights();
        }
    }

    private static double logUniform(SplittableRandom r, double low, double high) {
        return Math.exp(Math.log(low) + r.nextDouble() * (Math.log(high) - Math.log(low)));
    }
}
