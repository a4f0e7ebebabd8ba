package dev.graft.models.head;

import dev.graft.models.GraftException;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * fastai's {@code create_head}, layer for layer and index for index.
 *
 * <p>Node ids are {@code head.<i>}, where i is the module's index in fastai's {@code nn.Sequential} head, so fastai's
 * state-dict key {@code 1.4.weight} is Graft's {@code head.4.weight}. The head reads the body's output: with pooling
 * it takes {@code [N, nf, H, W]}; concat pooling (max, then average) doubles nf, which is why a resnet34 head starts
 * with 1024 features.
 */
public final class Heads {
    /** The id prefix of every head node. */
    public static final String PREFIX = "head";

    private Heads() {
    }

    /**
     * The head's layers in fastai's order.
     *
     * @param nf the body's output channels
     * @param nOut classes (or regression outputs)
     */
    public static List<Layer> layers(int nf, int nOut, HeadOptions o) {
        if (nf <= 0 || nOut <= 0) {
            throw new GraftException("a head needs positive features and outputs, got nf=" + nf + ", n_out=" + nOut);
        }
        if (o.pool() && o.concatPool()) {
            nf *= 2;
        }
        List<Integer> ftrs = new ArrayList<>();
        ftrs.add(nf);
        ftrs.addAll(o.linFtrs() == null ? List.of(512) : o.linFtrs());
        ftrs.add(nOut);
        int steps = ftrs.size() - 1;
        List<Double> ps = new ArrayList<>(o.ps());
        if (ps.size() == 1) {
            double p = ps.get(0);
            ps.clear();
            for (int i = 0; i < steps - 1; i++) {
                ps.add(p / 2);
            }
            ps.add(p);
        }
        if (ps.size() != steps) {
            throw new GraftException("--ps gives " + o.ps().size() + " dropout probabilities for " + steps
                + " linear layers; give one, or one per linear layer");
        }
        List<Layer> layers = new ArrayList<>();
        if (o.pool()) {
            layers.add(o.concatPool() ? new Layer.ConcatPool() : new Layer.AvgPool());
            layers.add(new Layer.Flatten());
        }
        if (o.linFirst()) {
            // fastai pops the first probability into a dropout before the first block and adds a plain final Linear.
            // It does so even when that probability is 0, so the module indices stay fastai's.
            layers.add(new Layer.Dropout(ps.remove(0)));
        }
        int blocks = o.linFirst() ? ps.size() : steps;
        for (int i = 0; i < blocks; i++) {
            int ni = ftrs.get(i);
            int no = ftrs.get(i + 1);
            boolean bn = i == 0 ? o.firstBn() : true;
            boolean relu = i < steps - 1;
            linBnDrop(layers, ni, no, bn, ps.get(i), relu, o.linFirst());
        }
        if (o.linFirst()) {
            layers.add(new Layer.Linear(ftrs.get(steps - 1), nOut, true));
        }
        if (o.bnFinal()) {
            layers.add(new Layer.BatchNorm(nOut, 1, Layer.BatchNorm.DEFAULT_EPS, 0.01));
        }
        double[] y = o.yRange();
        if (y != null) {
            layers.add(new Layer.SigmoidRange(y[0], y[1]));
        }
        return layers;
    }

    /** fastai's LinBnDrop: [BatchNorm1d] [Dropout] Linear(bias = !bn) [ReLU], or Linear first with lin_first. */
    private static void linBnDrop(List<Layer> out, int ni, int no, boolean bn, double p, boolean relu, boolean linFirst) {
        List<Layer> norm = new ArrayList<>();
        if (bn) {
            norm.add(Layer.BatchNorm.of1d(linFirst ? no : ni));
        }
        if (p != 0) {
            norm.add(new Layer.Dropout(p));
        }
        List<Layer> lin = new ArrayList<>();
        lin.add(new Layer.Linear(ni, no, !bn));
        if (relu) {
            lin.add(new Layer.Relu());
        }
        if (linFirst) {
            out.addAll(lin);
            out.addAll(norm);
        } else {
            out.addAll(norm);
            out.addAll(lin);
        }
    }

    /** The head's layers as nodes {@code head.0, head.1, ...}, the first reading {@code input}. */
    public static List<Node> nodes(List<Layer> layers, String input) {
        List<Node> nodes = new ArrayList<>();
        String prev = input;
        for (int i = 0; i < layers.size(); i++) {
            String id = PREFIX + "." + i;
            nodes.add(new Node(id, layers.get(i), List.of(prev)));
            prev = id;
        }
        return nodes;
    }
}
