package dev.graft.trainer.data;

/**
 * Derives independent seeds from a run's one seed, so that what is random in a run (shuffling, each item's
 * augmentation, dropout) depends only on (seed, epoch, item), never on threads or on what ran before.
 */
public final class Seeds {
    private Seeds() {
    }

    static long mix(long a, long b) {
        return splitMix(a ^ splitMix(b + 0x9E3779B97F4A7C15L));
    }

    static long forEpoch(long seed, int epoch) {
        return mix(seed, epoch);
    }

    static long forItem(long seed, int epoch, int itemIndex) {
        return mix(mix(seed, epoch), 0x51ED27L + itemIndex);
    }

    /** PyTorch's manual seed (a non-negative int) for the dropout masks of one epoch. */
    public static int forDropout(long seed, int epoch) {
        return (int) (mix(mix(seed, epoch), 0xD809L) & 0x7FFFFFFF);
    }

    private static long splitMix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
