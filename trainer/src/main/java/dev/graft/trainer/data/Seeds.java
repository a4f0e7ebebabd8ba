package dev.graft.trainer.data;

/** Derives independent seeds so that an item's augmentation depends only on (seed, epoch, item), never on threads. */
final class Seeds {
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

    private static long splitMix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
