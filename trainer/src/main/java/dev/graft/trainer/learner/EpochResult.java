package dev.graft.trainer.learner;

/**
 * One line of the epoch table. {@code metric} and {@code secondMetric} are the first two metrics (by default
 * accuracy and error_rate, or accuracy_multi and f1_multi) or NaN; {@code seconds} is the whole epoch,
 * {@code trainSeconds} its training part and {@code trainImages} the images trained on. Where the training part
 * went: {@code dataSeconds} waiting for the loader, {@code modelSeconds} in forward, loss and backward,
 * {@code optimiserSeconds} in Adam's steps (the rest is bookkeeping and callbacks).
 */
public record EpochResult(int epoch, double trainLoss, double validLoss, double metric, double secondMetric,
                          double seconds, double trainSeconds, int trainImages, double dataSeconds,
                          double modelSeconds, double optimiserSeconds) {
    /** Training images per second in this epoch, validation excluded. */
    public double imagesPerSecond() {
        return trainImages / trainSeconds;
    }
}
