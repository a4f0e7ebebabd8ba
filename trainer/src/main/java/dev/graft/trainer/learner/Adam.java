package dev.graft.trainer.learner;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * fastai's {@code Adam} (decoupled weight decay, dampened averages) written with NDArray operations.
 *
 * <p>DJL's Adam fixes beta1 at construction and has one learning rate; fastai's one-cycle policy moves beta1 (the
 * "momentum") every step and gives every layer group its own learning rate, so each {@link #step} receives both per
 * group. The order follows fastai's step functions: weight decay {@code p *= 1 - lr*wd}, then
 * {@code grad_avg = mom*grad_avg + (1-mom)*grad}, {@code sqr_avg = sqr_mom*sqr_avg + (1-sqr_mom)*grad^2},
 * {@code step += 1}, and {@code p -= lr * (grad_avg/(1-mom^step)) / (sqrt(sqr_avg/(1-sqr_mom^step)) + eps)}.
 * Debiasing uses the current momentum, as fastai does.
 *
 * <p>Parameters that are frozen (not requiring a gradient) are skipped entirely, so their values stay bit-identical.
 * The state arrays live in the parameters' manager and are freed with it. Updates run outside any gradient collector,
 * where the PyTorch engine records no graph, so in-place operations on leaf tensors are allowed.
 */
public final class Adam {
    /** fastai's defaults. */
    public static final double SQR_MOM = 0.99;
    public static final double EPS = 1e-5;
    public static final double WD = 0.01;

    private final List<Slot> slots = new ArrayList<>();
    private final double sqrMom;
    private final double eps;
    private final double wd;

    /** One optimised parameter: its group, whether weight decay applies, and its state (created on first step). */
    private static final class Slot {
        final Parameter parameter;
        final int group;
        final boolean decay;
        NDArray gradAvg;
        NDArray sqrAvg;
        int step;

        Slot(Parameter parameter, int group, boolean decay) {
            this.parameter = parameter;
            this.group = group;
            this.decay = decay;
        }
    }

    public Adam(double sqrMom, double eps, double wd) {
        this.sqrMom = sqrMom;
        this.eps = eps;
        this.wd = wd;
    }

    /** fastai's Adam defaults: sqr_mom 0.99, eps 1e-5, wd 0.01. */
    public static Adam defaults() {
        return new Adam(SQR_MOM, EPS, WD);
    }

    /**
     * Registers a learnable parameter of layer group {@code group}. {@code decay} false exempts it from weight decay
     * (fastai's wd_bn_bias=False: BatchNorm parameters and biases).
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
        for (Slot s : slots) {
            NDArray p = s.parameter.getArray();
            if (!s.parameter.requiresGradient()) {
                continue;
            }
            double l = lr[s.group];
            double m = mom[s.group];
            try (NDArray grad = p.getGradient()) {
                if (s.gradAvg == null) {
                    s.gradAvg = p.zerosLike();
                    s.sqrAvg = p.zerosLike();
                }
                if (s.decay && wd != 0) {
                    p.muli(1 - l * wd);
                }
                try (NDArray g1 = grad.mul(1 - m)) {
                    s.gradAvg.muli(m).addi(g1);
                }
                try (NDArray sq = grad.square(); NDArray g2 = sq.muli(1 - sqrMom)) {
                    s.sqrAvg.muli(sqrMom).addi(g2);
                }
                s.step++;
                double debias1 = 1 - Math.pow(m, s.step);
                double debias2 = 1 - Math.pow(sqrMom, s.step);
                try (NDArray den = s.sqrAvg.div(debias2); NDArray root = den.sqrt(); NDArray rootEps = root.addi(eps);
                     NDArray num = s.gradAvg.mul(l / debias1); NDArray upd = num.divi(rootEps)) {
                    p.subi(upd);
                }
                grad.subi(grad);
            }
        }
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
            s.step = 0;
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
