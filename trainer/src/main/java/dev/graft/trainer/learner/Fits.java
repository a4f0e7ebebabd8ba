package dev.graft.trainer.learner;

import dev.graft.models.GraftException;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.schedule.LearningRates;
import dev.graft.trainer.schedule.LrFinderMath;
import dev.graft.trainer.schedule.OneCycle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * fastai's schedules over the learner's loop (what fastai's callback/schedule.py adds to its Learner): fit_one_cycle,
 * fine_tune and lr_find each choose the learning rate and momentum of every step and call the loop; see the public
 * methods of {@link Learner} for what they do.
 */
final class Fits {
    /** What sets lr and mom for a batch: from the schedule's epoch, the batch's index and the steps of this fit. */
    interface Schedule {
        Step at(int epoch, int batch, int iteration);
    }

    private Fits() {
    }

    static List<EpochResult> oneCycle(Learner learner, int epochs, LearningRates lr, OneCycle cycle,
                                              int startEpoch) {
        if (epochs < 1) {
            throw new GraftException("train at least one epoch, not " + epochs);
        }
        if (startEpoch < 0 || startEpoch >= epochs) {
            throw new GraftException("start epoch " + startEpoch + " must be in [0, " + epochs + ")");
        }
        double[] lrMax = lr.perGroup(learner.network().groups().size());
        int perEpoch = learner.batchesPerEpoch();
        double total = (double) epochs * perEpoch;
        List<EpochResult> results = new ArrayList<>();
        learner.fit(startEpoch, epochs, (epoch, batch, it) -> {
            double pos = Math.min((epoch * perEpoch + batch) / total, 1.0);
            double[] l = new double[lrMax.length];
            double[] m = new double[lrMax.length];
            for (int g = 0; g < l.length; g++) {
                l[g] = cycle.lr(lrMax[g], pos);
                m[g] = cycle.mom(pos);
            }
            return new Step(l, m);
        }, learner.startCycle(startEpoch), learner.callbacks(), results);
        return results;
    }

    static List<EpochResult> fineTune(Learner learner, int epochs, double baseLr, int freezeEpochs,
                                              double lrMult, int startEpoch) {
        if (epochs < 1 || freezeEpochs < 0) {
            throw new GraftException("fine_tune needs at least one epoch and no negative frozen epochs, got "
                + epochs + " and " + freezeEpochs);
        }
        if (!(lrMult >= 1)) {
            throw new GraftException("lr_mult must be at least 1, got " + lrMult);
        }
        if (startEpoch < 0 || startEpoch >= epochs + freezeEpochs) {
            throw new GraftException("start epoch " + startEpoch + " must be in [0, " + (epochs + freezeEpochs) + ")");
        }
        List<EpochResult> all = new ArrayList<>();
        if (freezeEpochs > 0 && startEpoch < freezeEpochs) {
            learner.freeze();
            all.addAll(oneCycle(learner, freezeEpochs, LearningRates.slice(baseLr),
                OneCycle.defaults().withPctStart(0.99), startEpoch));
        }
        double lr = baseLr / 2;
        learner.unfreeze();
        all.addAll(oneCycle(learner, epochs, LearningRates.slice(lr / lrMult, lr),
            OneCycle.defaults().withPctStart(0.3).withDiv(5), Math.max(0, startEpoch - freezeEpochs)));
        return all;
    }

    static LrFind lrFind(Learner learner, double startLr, double endLr, int numIt) {
        Map<String, Tensor> saved = learner.block().readWeights();
        LrFinder finder = new LrFinder(numIt);
        List<Callback> cbs = new ArrayList<>(learner.callbacks());
        cbs.add(finder);
        int groups = learner.network().groups().size();
        try {
            learner.fit(0, Integer.MAX_VALUE, (epoch, batch, it) -> {
                double[] l = new double[groups];
                double[] m = new double[groups];
                Arrays.fill(l, LrFinderMath.sweep(startLr, endLr, (double) it / numIt));
                Arrays.fill(m, 0.9);
                return new Step(l, m);
            }, new LrFinderMath.SmoothLoss(0.98), cbs, null);
        } finally {
            learner.block().loadWeights(saved);
            learner.resetOptimiser();
        }
        return finder.result();
    }
}
