package dev.graft.trainer.learner;

/**
 * Thrown by a {@link Callback} to stop part of the loop, as fastai's cancel exceptions do; the loop catches it at the
 * level of its {@link Scope} and goes on from there. Carries no stack trace: it is control flow, not an error.
 */
public final class CancelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** How much of the loop a cancel skips. */
    public enum Scope {
        /**
         * The rest of this batch: a training batch cancelled before {@link Callback#afterStep} does not step, and a
         * validation batch cancelled before {@link Callback#afterLoss} counts in no metric. {@link Callback#afterBatch}
         * still runs unless it threw.
         */
        BATCH,
        /** The rest of the training part of this epoch; {@link Callback#afterTrain} and validation still run. */
        TRAIN,
        /**
         * The rest of the fit; {@link Callback#afterFit} still runs. Thrown before {@link Callback#afterEpoch}, the
         * epoch in progress does not count (no row, no checkpoint); thrown in it, the epoch counts and every callback
         * sees it. A scope thrown where it does not apply (TRAIN during validation, say) ends the fit too.
         */
        FIT
    }

    private final Scope scope;

    public CancelException(Scope scope, String why) {
        super(why, null, false, false);
        this.scope = java.util.Objects.requireNonNull(scope, "scope");
    }

    public Scope scope() {
        return scope;
    }
}
