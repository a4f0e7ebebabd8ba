package dev.graft.interpret;

import java.util.ArrayList;
import java.util.List;

/**
 * Images that could not be read, listed in the report rather than stopping the run; the list keeps the first
 * {@value #KEPT} and counts the rest, so a folder of broken files cannot grow memory without bound.
 */
public final class Unreadable {
    /** Entries kept by name. */
    public static final int KEPT = 1000;

    /** One image and why it was skipped. */
    public record Entry(String file, String reason) {
    }

    private final List<Entry> kept = new ArrayList<>();
    private long count;

    public void add(String file, String reason) {
        count++;
        if (kept.size() < KEPT) {
            kept.add(new Entry(file, reason));
        }
    }

    /** Every unreadable image, including those not kept by name. */
    public long count() {
        return count;
    }

    public List<Entry> entries() {
        return List.copyOf(kept);
    }
}
