package dev.graft.trainer.learner;

import ai.djl.ndarray.NDManager;
import dev.graft.files.InputFiles;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.RunFolder;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.AugmentConfig;
import dev.graft.trainer.data.DataLoader;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.ImageTransforms;
import dev.graft.trainer.data.Normalization;
import dev.graft.trainer.data.Split;
import dev.graft.trainer.model.NetworkBlock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Options for a {@link Learner}, with fastai's defaults where fastai has one, in DJL's convention: {@code setX} is
 * required ({@link #setNetwork}, unless {@link #optResume} gives a checkpoint instead), {@code optX} is optional.
 * {@link #build} assembles the network, the optimiser and the loaders.
 */
public final class LearnerBuilder {
    private final ImageDataset dataset;
    private Network network;
    private Map<String, Tensor> weights;
    private Map<String, Tensor> bodyWeights;
    private Path resume;
    private int size = 224;
    private int batchSize = 64;
    private int workers = 2;
    private long maxImageBytes = InputFiles.DEFAULT_MAX_IMAGE_BYTES;
    private long seed = 42;
    private double wd = Adam.WD;
    private boolean freezeBatchNorm;
    private AugmentConfig augment = AugmentConfig.defaults();
    private List<Metric> metrics;
    private final List<Callback> callbacks = new ArrayList<>();

    /** What {@link #build} hands the learner. */
    record Parts(Network network, Task task, List<String> labels, int size, NDManager manager, NetworkBlock block,
                 Adam adam, List<String> optimised, DataLoader train, DataLoader valid, boolean freezeBatchNorm,
                 long seed, double wd) {
    }

    LearnerBuilder(ImageDataset dataset) {
        this.dataset = dataset;
    }

    /** The network to train (from VisionModel); required unless {@link #optResume} is given. */
    public LearnerBuilder setNetwork(Network n) {
        this.network = n;
        return this;
    }

    /** Starting weights (pretrained body, say); Graft's seeded initialisation otherwise. Subset not allowed. */
    public LearnerBuilder optWeights(Map<String, Tensor> w) {
        this.weights = w;
        return this;
    }

    /**
     * Pretrained body weights by Graft name (what {@code WeightLoader.load(network, file, LoadMode.BODY)} returns);
     * the head keeps its fastai initialisation. Ignored when resuming.
     */
    public LearnerBuilder optBodyWeights(Map<String, Tensor> w) {
        this.bodyWeights = w;
        return this;
    }

    /**
     * Continue from a checkpoint folder: its network, weights, epochs done, history and training state. With the
     * seed, weight decay and {@link #optFreezeBatchNorm} it was trained with, the continued run takes exactly the
     * steps an uninterrupted one would; other values are allowed (for predictions, say) but make another run. To keep
     * checkpointing into the same folder, open its {@link Checkpointing} before {@link #build}: it locks the folder.
     */
    public LearnerBuilder optResume(Path checkpointDir) {
        this.resume = checkpointDir;
        return this;
    }

    /** Training and validation image size in pixels (default 224). */
    public LearnerBuilder optSize(int s) {
        if (s < 16) {
            throw new GraftException("image size must be at least 16, got " + s);
        }
        this.size = s;
        return this;
    }

    public LearnerBuilder optBatchSize(int n) {
        this.batchSize = n;
        return this;
    }

    /** Data loader threads per loader (default 2). */
    public LearnerBuilder optWorkers(int n) {
        this.workers = n;
        return this;
    }

    /** The largest image file the loaders read, in bytes (default 64 MiB); see {@link DataLoader}. */
    public LearnerBuilder optMaxImageBytes(long bytes) {
        this.maxImageBytes = bytes;
        return this;
    }

    /** Seeds the initial weights, the shuffling, the augmentation and dropout: the same seed repeats a run. */
    public LearnerBuilder optSeed(long s) {
        this.seed = s;
        return this;
    }

    /** Decoupled weight decay (default fastai's 0.01), none on norm layers (BatchNorm, LayerNorm) and biases. */
    public LearnerBuilder optWeightDecay(double w) {
        this.wd = w;
        return this;
    }

    /**
     * Also freeze the normalisation layers (BatchNorm, LayerNorm) in frozen groups and run BatchNorm in evaluation mode
     * (fastai's train_bn=False).
     */
    public LearnerBuilder optFreezeBatchNorm(boolean b) {
        this.freezeBatchNorm = b;
        return this;
    }

    /** Training augmentation (fastai's aug_transforms by default); its size is replaced by {@link #optSize}. */
    public LearnerBuilder optAugment(AugmentConfig a) {
        this.augment = Objects.requireNonNull(a, "augment");
        return this;
    }

    /** The validation metrics, first two in the epoch table (default {@link Metrics#forTask}). */
    public LearnerBuilder optMetrics(List<Metric> m) {
        this.metrics = List.copyOf(m);
        return this;
    }

    /**
     * Adds callbacks, run in the order added (after the metrics); those that are {@link AutoCloseable} are closed
     * with the learner, or by {@link #build} if it fails. Without any, a learner trains silently.
     */
    public LearnerBuilder addCallbacks(Callback... cbs) {
        for (Callback cb : cbs) {
            callbacks.add(Objects.requireNonNull(cb, "callback"));
        }
        return this;
    }

    /** The learner; on any failure the callbacks given are closed before the exception leaves. */
    public Learner build() {
        NDManager manager = null;
        DataLoader train = null;
        Learner learner = null;
        try {
            ImageDataset data = Objects.requireNonNull(dataset, "dataset");
            Network net = network;
            Map<String, Tensor> start = weights;
            RunFolder.Snapshot resumed = null;
            if (resume != null) {
                resumed = RunFolder.read(resume);
                Checkpoint c = resumed.checkpoint();
                net = c.network();
                start = c.weights();
                if (c.task() != data.task() || !c.labels().equals(data.classes())) {
                    throw new GraftException("checkpoint " + resume + " was trained on " + c.task().id() + " "
                        + c.labels() + ", not on " + data.task().id() + " " + data.classes());
                }
            }
            if (net == null) {
                throw new GraftException("the learner needs a network (or a checkpoint to resume from)");
            }
            manager = NDManager.newBaseManager();
            NetworkBlock block = new NetworkBlock(net, seed);
            block.initialize(manager, size, size, start);
            if (bodyWeights != null && resumed == null) {
                block.updateWeights(bodyWeights);
            }
            Adam adam = new Adam(Adam.SQR_MOM, Adam.EPS, wd);
            List<String> optimised = new ArrayList<>();
            for (Node n : net.nodes()) {
                boolean norm = isNorm(n.layer());
                for (Param p : n.layer().params()) {
                    if (p.learnable()) {
                        boolean decay = !norm && !p.name().equals("bias");
                        adam.add(block.parameter(n.paramName(p)), net.groupOf(n.id()), decay);
                        optimised.add(n.paramName(p));
                    }
                }
            }
            ImageTransforms t = new ImageTransforms(augment.withSize(size), Normalization.IMAGENET);
            train = DataLoader.builder(data, Split.TRAIN).optTransforms(t).optBatchSize(batchSize).optWorkers(workers)
                .optSeed(seed).optMaxImageBytes(maxImageBytes).build();
            DataLoader valid = DataLoader.builder(data, Split.VALID).optTransforms(t).optBatchSize(batchSize)
                .optWorkers(workers).optSeed(seed).optMaxImageBytes(maxImageBytes).build();
            learner = new Learner(new Parts(net, data.task(), data.classes(), size, manager, block, adam,
                List.copyOf(optimised), train, valid, freezeBatchNorm, seed, wd),
                metrics != null ? metrics : Metrics.forTask(data.task()), callbacks);
            if (resumed != null) {
                learner.resume(resumed, resume);
            }
            return learner;
        } catch (RuntimeException e) {
            if (learner != null) {
                learner.close(); // its loaders, its manager and the callbacks
                throw e;
            }
            if (train != null) {
                train.close();
            }
            if (manager != null) {
                manager.close();
            }
            closeAll(callbacks);
            throw e;
        }
    }

    /** {@link Learner#freezeTo}: freezes the groups below {@code n}; returns the first group that trains. */
    static int freeze(Parts parts, int n) {
        Network network = parts.network();
        int groups = network.groups().size();
        int below = n < 0 ? groups + n : n;
        if (below < 0 || below >= groups) {
            throw new GraftException("freeze_to(" + n + ") is out of range for " + groups + " layer groups");
        }
        boolean freezeBatchNorm = parts.freezeBatchNorm();
        NetworkBlock block = parts.block();
        List<String> evalBn = new ArrayList<>();
        for (Node node : network.nodes()) {
            boolean frozenGroup = network.groupOf(node.id()) < below;
            if (node.layer() instanceof Layer.BatchNorm && frozenGroup && freezeBatchNorm) {
                evalBn.add(node.id());
            }
            boolean norm = isNorm(node.layer());
            for (Param p : node.layer().params()) {
                if (p.learnable()) {
                    block.parameter(node.paramName(p)).freeze(frozenGroup && (!norm || freezeBatchNorm));
                }
            }
        }
        block.setEvalBatchNorm(evalBn);
        return below;
    }

    /**
     * A normalisation layer in fastai's sense ({@code norm_types}: BatchNorm, InstanceNorm and {@code nn.LayerNorm},
     * of which torchvision's {@code LayerNorm2d} is a subclass). fastai's learner treats their parameters apart: no
     * weight decay (wd_bn_bias=False) and trainable in frozen groups (train_bn, through the optimiser's
     * {@code force_train}). Only BatchNorm has running statistics, so only BatchNorm is ever held in evaluation mode.
     */
    static boolean isNorm(Layer layer) {
        return layer instanceof Layer.BatchNorm || layer instanceof Layer.LayerNorm2d;
    }

    /** Closes the callbacks that hold resources; the first failure is rethrown after all were tried. */
    static void closeAll(List<? extends Callback> cbs) {
        RuntimeException failure = null;
        for (Callback cb : cbs) {
            if (cb instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    if (failure == null) {
                        failure = e instanceof RuntimeException r ? r : new GraftException("closing "
                            + cb.getClass().getSimpleName() + " failed: " + e.getMessage());
                    }
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
