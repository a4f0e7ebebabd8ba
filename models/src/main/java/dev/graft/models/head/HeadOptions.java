package dev.graft.models.head;

import dev.graft.models.GraftException;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of fastai's {@code create_head}, with fastai's defaults.
 *
 * <p>Built with {@link #builder()}; every option is optional. Invalid combinations (a dropout list of the wrong length,
 * a y_range whose low is not below its high) are refused when the head is built, with a message that says which
 * option is wrong.
 */
public final class HeadOptions {
    private final List<Integer> linFtrs;
    private final List<Double> ps;
    private final boolean pool;
    private final boolean concatPool;
    private final boolean firstBn;
    private final boolean bnFinal;
    private final boolean linFirst;
    private final double[] yRange;

    private HeadOptions(Builder b) {
        this.linFtrs = b.linFtrs == null ? null : List.copyOf(b.linFtrs);
        this.ps = List.copyOf(b.ps);
        this.pool = b.pool;
        this.concatPool = b.concatPool;
        this.firstBn = b.firstBn;
        this.bnFinal = b.bnFinal;
        this.linFirst = b.linFirst;
        this.yRange = b.yRange == null ? null : b.yRange.clone();
        if (linFtrs != null) {
            for (int f : linFtrs) {
                if (f <= 0) {
                    throw new GraftException("--lin-ftrs sizes must be positive, got " + linFtrs);
                }
            }
        }
        if (ps.isEmpty()) {
            throw new GraftException("--ps needs at least one dropout probability");
        }
        for (double p : ps) {
            if (!(p >= 0 && p < 1)) {
                throw new GraftException("--ps values must be in [0, 1), got " + p);
            }
        }
        if (yRange != null && !(yRange[0] < yRange[1] && Double.isFinite(yRange[0]) && Double.isFinite(yRange[1]))) {
            throw new GraftException("--y-range needs low < high, got " + yRange[0] + "," + yRange[1]);
        }
    }

    /** fastai's defaults: lin_ftrs [512], ps 0.5, concat pooling, first_bn, no bn_final, BN before Linear, no y_range. */
    public static HeadOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.linFtrs = linFtrs == null ? null : new ArrayList<>(linFtrs);
        b.ps = new ArrayList<>(ps);
        b.pool = pool;
        b.concatPool = concatPool;
        b.firstBn = firstBn;
        b.bnFinal = bnFinal;
        b.linFirst = linFirst;
        b.yRange = yRange == null ? null : yRange.clone();
        return b;
    }

    /** Hidden layer sizes, or null for fastai's default [512]. */
    public List<Integer> linFtrs() {
        return linFtrs;
    }

    public List<Double> ps() {
        return ps;
    }

    public boolean pool() {
        return pool;
    }

    public boolean concatPool() {
        return concatPool;
    }

    public boolean firstBn() {
        return firstBn;
    }

    public boolean bnFinal() {
        return bnFinal;
    }

    public boolean linFirst() {
        return linFirst;
    }

    /** {low, high} or null. */
    public double[] yRange() {
        return yRange == null ? null : yRange.clone();
    }

    /** Optional settings; each {@code optX} overrides one of fastai's defaults. */
    public static final class Builder {
        private List<Integer> linFtrs;
        private List<Double> ps = List.of(0.5);
        private boolean pool = true;
        private boolean concatPool = true;
        private boolean firstBn = true;
        private boolean bnFinal;
        private boolean linFirst;
        private double[] yRange;

        private Builder() {
        }

        public Builder optLinFtrs(List<Integer> sizes) {
            this.linFtrs = sizes == null ? null : new ArrayList<>(sizes);
            return this;
        }

        /** One probability (fastai halves it for every hidden layer) or one per Linear layer. */
        public Builder optPs(List<Double> probabilities) {
            this.ps = new ArrayList<>(probabilities);
            return this;
        }

        public Builder optPs(double p) {
            return optPs(List.of(p));
        }

        public Builder optPool(boolean pool) {
            this.pool = pool;
            return this;
        }

        public Builder optConcatPool(boolean concatPool) {
            this.concatPool = concatPool;
            return this;
        }

        public Builder optFirstBn(boolean firstBn) {
            this.firstBn = firstBn;
            return this;
        }

        public Builder optBnFinal(boolean bnFinal) {
            this.bnFinal = bnFinal;
            return this;
        }

        public Builder optLinFirst(boolean linFirst) {
            this.linFirst = linFirst;
            return this;
        }

        public Builder optYRange(double low, double high) {
            this.yRange = new double[] {low, high};
            return this;
        }

        public HeadOptions build() {
            return new HeadOptions(this);
        }
    }
}
