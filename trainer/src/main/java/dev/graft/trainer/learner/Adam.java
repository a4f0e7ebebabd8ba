package dev.graft.trainer.learner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import dev.graft.trainer.model.CpuMemory;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * fastai's {@code Adam} (decoupled weight decay, dampened averages), with the momentum and the learning rate given per
 * layer group at every step.
 *
 * <p>DJL's Adam fixes beta1 at construction and has one learning rate; fastai's one-cycle policy moves beta1 (the
 * "momentum") every step and gives every layer group its own learning rate, so each {@link #step} receives both per
 * group. The order follows fastai's step functions: weight decay {@code p *= 1 - lr*wd}, then
 * {@code grad_avg = mom*grad_avg + (1-mom)*grad}, {@code sqr_avg = sqr_mom*sqr_avg + (1-sqr_mom)*grad^2},
 * {@code step += 1}, and {@code p -= lr * (grad_avg/(1-mom^step)) / (sqrt(sqr_avg/(1-sqr_mom^step)) + eps)}.
 * Debiasing uses the current momentum, as fastai does. Gradients are zeroed afterwards.
 *
 * <p><b>Parameters in CPU memory</b> are updated by one fused pass in Java over the tensors' own memory (the engine
 * hands out direct buffers on it): weights and gradients are read a block at a time into scratch arrays that stay in
 * a core's cache, the moving averages live in Java arrays, and every element is read and written once, on all
 * cores. The engine's own one-call Adam composes a dozen whole-tensor operations (a gradient copy, temporaries for
 * the root and the quotient) and took twice as long on resnet18 on a 2-core CPU, where the optimiser was a fifth of a
 * training step. <b>Parameters elsewhere</b> (a GPU) go through that engine update ({@code NDArrayEx#adamUpdate}),
 * which computes {@code p -= lr' * grad_avg / (sqrt(sqr_avg) + eps')}; fastai's debiasing is folded into its two
 * numbers, {@code lr' = lr * sqrt(d2) / d1} and {@code eps' = eps * sqrt(d2)} with {@code d1 = 1-mom^step} and
 * {@code d2 = 1-sqr_mom^step}, the same expression multiplied through by {@code sqrt(d2)}.
 *
 * <p>Parameters that are frozen (not requiring a gradient) are skipped entirely, so their values stay bit-identical.
 * Updates run outside any gradient collector, where the PyTorch engine records no graph, so in-place changes to leaf
 * tensors are allowed. Not thread-safe: one training loop steps it.
 */
public final class Adam {
    /** fastai's defaults. */
    public static final double SQR_MOM = 0.99;
    public static final double EPS = 1e-5;
    public static final double WD = 0.01;

    /** Floats per unit of work of the CPU update: a weight and a gradient block (2 x 64 KiB) stay in L2 cache. */
    static final int BLOCK = 16_384;
    private static final float[] ZEROS = new float[BLOCK];
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][BLOCK]);

    private final List<Slot> slots = new ArrayList<>();
    private final double sqrMom;
    private final double eps;
    private final double wd;
    private final boolean cpuUpdate;

    /** How a parameter is updated, decided at its first step. */
    private enum Path { UNDECIDED, CPU, ENGINE }

    /** One optimised parameter: its group, whether weight decay applies, and its state (created on first step). */
    private static final class Slot {
        final Parameter parameter;
        final int group;
        final boolean decay;
        Path path = Path.UNDECIDED;
        float[] cpuGradAvg;
        float[] cpuSqrAvg;
        NDArray gradAvg;
        NDArray sqrAvg;
        /** Restored moving averages, placed on whichever path the first step takes. */
        float[] restoredGradAvg;
        float[] restoredSqrAvg;
        int step;

        Slot(Parameter parameter, int group, boolean decay) {
            this.parameter = parameter;
            this.group = group;
            this.decay = decay;
        }
    }

    /** One parameter's update in CPU memory, shared by its blocks. */
    private record CpuUpdate(FloatBuffer weights, FloatBuffer grads, float[] gradAvg, float[] sqrAvg, float decay,
                             float mom, float sqrMom, float stepSize, float invDebias2, float eps) {
    }

    /** Elements {@code [from, to)} of one parameter. */
    private record Block(CpuUpdate u, int from, int to) {
        void run() {
            float[][] scratch = SCRATCH.get();
            float[] w = scratch[0];
            float[] g = scratch[1];
            int len = to - from;
            FloatBuffer weights = u.weights().duplicate();
            FloatBuffer grads = u.grads().duplicate();
            weights.get(from, w, 0, len);
            grads.get(from, g, 0, len);
            float[] gradAvg = u.gradAvg();
            float[] sqrAvg = u.sqrAvg();
            float decay = u.decay();
            float mom = u.mom();
            float dampMom = 1 - mom;
            float sqrMom = u.sqrMom();
            float dampSqr = 1 - sqrMom;
            float stepSize = u.stepSize();
            float invDebias2 = u.invDebias2();
            float eps = u.eps();
            for (int i = 0, j = from; i < len; i++, j++) {
                float grad = g[i];
                float avg = mom * gradAvg[j] + dampMom * grad;
                float sqr = sqrMom * sqrAvg[j] + dampSqr * grad * grad;
                gradAvg[j] = avg;
                sqrAvg[j] = sqr;
                w[i] = w[i] * decay - stepSize * avg / ((float) Math.sqrt(sqr * invDebias2) + eps);
            }
            weights.put(from, w, 0, len);
            grads.put(from, ZEROS, 0, len);
        }
    }

    public Adam(double sqrMom, double eps, double wd) {
        this(sqrMom, eps, wd, true);
    }

    /** {@code cpuUpdate} false sends every parameter through the engine's update, as on a GPU (for tests). */
    Adam(double sqrMom, double eps, double wd, boolean cpuUpdate) {
        this.sqrMom = sqrMom;
        this.eps = eps;
        this.wd = wd;
        this.cpuUpdate = cpuUpdate;
    }

    /** fastai's Adam defaults: sqr_mom 0.99, eps 1e-5, wd 0.01. */
    public static Adam defaults() {
        return new Adam(SQR_MOM, EPS, WD);
    }

    /**
     * Registers a learnable parameter of layer group {@code group}. {@code decay} false exempts it from weight decay
     * (fastai's wd_bn_bias=False: the parameters of normalisation layers, BatchNorm and LayerNorm, and biases).
     */
    public void add(Parameter parameter, int group, boolean decay) {
        slots.add(new Slot(parameter, group, decay));
    }

    /** The registered parameters' count. */
    public int size() {
        return slots.size();
    }

    /**
     * One update of every parameter that requires a gradient, with {@code lr[g]} and {@code mom[g]} for group g.
     * Gradients are zeroed afterwards so the next backward pass starts from nothing.
     */
    public void step(double[] lr, double[] mom) {
        List<NDArray> grads = new ArrayList<>();
        List<Block> blocks = new ArrayList<>();
        try {
            for (Slot s : slots) {
                if (!s.parameter.requiresGradient()) {
                    continue;
                }
                NDArray p = s.parameter.getArray();
                NDArray grad = p.getGradient();
                grads.add(grad);
                if (s.path == Path.UNDECIDED) {
                    s.path = cpuUpdate && CpuMemory.isShared(p) && CpuMemory.isShared(grad) ? Path.CPU : Path.ENGINE;
                }
                double l = lr[s.group];
                double m = mom[s.group];
                double decay = s.decay ? 1 - l * wd : 1;
                s.step++;
                double debias1 = 1 - Math.pow(m, s.step);
                double debias2 = 1 - Math.pow(sqrMom, s.step);
                if (s.path == Path.CPU) {
                    int n = Math.toIntExact(p.size());
                    if (s.cpuGradAvg == null) {
                        s.cpuGradAvg = s.restoredGradAvg != null ? s.restoredGradAvg : new float[n];
                        s.cpuSqrAvg = s.restoredSqrAvg != null ? s.restoredSqrAvg : new float[n];
                        s.restoredGradAvg = null;
                        s.restoredSqrAvg = null;
                    }
                    CpuUpdate u = new CpuUpdate(floats(p), floats(grad), s.cpuGradAvg, s.cpuSqrAvg, (float) decay,
                        (float) m, (float) sqrMom, (float) (l / debias1), (float) (1 / debias2), (float) eps);
                    for (int from = 0; from < n; from += BLOCK) {
                        blocks.add(new Block(u, from, Math.min(n, from + BLOCK)));
                    }
                } else {
                    engineStep(s, p, grad, l, m, decay, debias1, debias2);
                }
            }
            blocks.parallelStream().forEach(Block::run);
        } finally {
            grads.forEach(NDArray::close);
        }
    }

    private void engineStep(Slot s, NDArray p, NDArray grad, double l, double m, double decay, double debias1,
                            double debias2) {
        if (s.gradAvg == null) {
            if (s.restoredGradAvg != null) {
                s.gradAvg = p.getManager().create(s.restoredGradAvg, p.getShape());
                s.sqrAvg = p.getManager().create(s.restoredSqrAvg, p.getShape());
                s.restoredGradAvg = null;
                s.restoredSqrAvg = null;
            } else {
                s.gradAvg = p.zerosLike();
                s.sqrAvg = p.zerosLike();
            }
        }
        if (decay != 1) {
            p.muli(decay);
        }
        double root2 = Math.sqrt(debias2);
        // weight, gradient, first and second moments; updated in place, the gradient zeroed
        p.getNDArrayInternal().adamUpdate(new NDList(p, grad, s.gradAvg, s.sqrAvg), new NDList(p), (float) l,
            (float) (l * root2 / debias1), 0f, 1f, -1f, (float) m, (float) sqrMom, (float) (eps * root2), false,
            false);
    }

    /** The array's elements as floats in its own memory. */
    private static FloatBuffer floats(NDArray a) {
        return a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Drops the moving averages (after loading other weights, say): the next step starts from step 1. */
    public void reset() {
        for (Slot s : slots) {
            if (s.gradAvg != null) {
                s.gradAvg.close();
                s.sqrAvg.close();
                s.gradAvg = null;
                s.sqrAvg = null;
            }
            s.cpuGradAvg = null;
            s.cpuSqrAvg = null;
            s.restoredGradAvg = null;
            s.restoredSqrAvg = null;
            s.step = 0;
        }
    }

    /**
     * One parameter's optimiser state: how many steps it took and its moving averages ({@code grad_avg},
     * {@code sqr_avg}), both null before its first step.
     */
    public record SlotState(int step, float[] gradAvg, float[] sqrAvg) {
    }

    /**
     * A copy of every parameter's state, in registration order: what a checkpoint saves so that a resumed run takes
     * exactly the steps an uninterrupted one would.
     */
    public List<SlotState> state() {
        List<SlotState> out = new ArrayList<>(slots.size());
        for (Slot s : slots) {
            if (s.cpuGradAvg != null) {
                out.add(new SlotState(s.step, s.cpuGradAvg.clone(), s.cpuSqrAvg.clone()));
            } else if (s.gradAvg != null) {
                out.add(new SlotState(s.step, s.gradAvg.toFloatArray(), s.sqrAvg.toFloatArray()));
            } else if (s.restoredGradAvg != null) {
                out.add(new SlotState(s.step, s.restoredGradAvg.clone(), s.restoredSqrAvg.clone()));
            } else {
                out.add(new SlotState(s.step, null, null));
            }
        }
        return out;
    }

    /**
     * Replaces every parameter's state with {@code states} (from {@link #state}, same registration order and sizes).
     *
     * @throws IllegalArgumentException if the count or a size does not match
     */
    public void restore(List<SlotState> states) {
        if (states.size() != slots.size()) {
            throw new IllegalArgumentException(states.size() + " optimiser states for " + slots.size() + " parameters");
        }
        for (int i = 0; i < states.size(); i++) {
            SlotState st = states.get(i);
            long n = slots.get(i).parameter.getArray().size();
            if ((st.gradAvg() == null) != (st.sqrAvg() == null) || st.gradAvg() != null
                    && (st.gradAvg().length != n || st.sqrAvg().length != n) || st.step() < 0) {
                throw new IllegalArgumentException("optimiser state " + i + " does not fit its parameter of " + n
                    + " values");
            }
        }
        reset();
        for (int i = 0; i < states.size(); i++) {
            Slot s = slots.get(i);
            SlotState st = states.get(i);
            s.step = st.step();
            s.restoredGradAvg = st.gradAvg() == null ? null : st.gradAvg().clone();
            s.restoredSqrAvg = st.sqrAvg() == null ? null : st.sqrAvg().clone();
        }
    }

    /** The registered parameters, for inspection. */
    List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (Slot s : slots) {
            out.add(s.parameter);
        }
        return Collections.unmodifiableList(out);
    }
}
