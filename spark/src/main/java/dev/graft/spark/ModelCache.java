package dev.graft.spark;

import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The models open in this JVM, one ONNX Runtime session per model (by SHA-256) and per session settings, shared by every
 * task and partition that runs here.
 *
 * <p>An executor runs many tasks over a job's life and many jobs over its own; opening the session once per task (as
 * per-partition UDFs do) repeats the model's transfer, graph optimisation and weight prepacking for every partition, and
 * holds one copy of the weights per concurrent task. Here a task {@linkplain #acquire acquires} a model and
 * {@linkplain Lease#close releases} it when it ends; a released model stays open for the next job on the same model, and
 * is closed as soon as a task asks for a different one, so that an executor that scores with a sequence of models
 * (nightly re-scores after each retrain) holds one session, not one per model it ever saw.
 */
public final class ModelCache {
    private static final Map<Key, Entry> OPEN = new HashMap<>();
    private static final AtomicLong OPENED = new AtomicLong();
    private static final AtomicLong CLOSED = new AtomicLong();

    private ModelCache() {
    }

    /**
     * What identifies a session: the model's bytes, what ONNX Runtime was told when opening it, and the input limits
     * the model enforces (a job with lower limits must not be served by a session opened with higher ones).
     */
    record Key(String sha256, String device, int intraOpThreads, String optimizedModelCache, long maxPixels,
            long maxImageBytes) {
    }

    private static final class Entry {
        final EdgeModel model;
        int users;

        Entry(EdgeModel model) {
            this.model = model;
        }
    }

    /** A model in use by one task; closing it hands the model back to the cache, not to ONNX Runtime. */
    public static final class Lease implements AutoCloseable {
        private final Key key;
        private final EdgeModel model;
        private boolean released;

        private Lease(Key key, EdgeModel model) {
            this.key = key;
            this.model = model;
        }

        public EdgeModel model() {
            return model;
        }

        @Override
        public void close() {
            synchronized (ModelCache.class) {
                if (released) {
                    return;
                }
                released = true;
                Entry e = OPEN.get(key);
                if (e != null && e.model == model) {
                    e.users--;
                }
            }
        }
    }

    /**
     * The open model for {@code key}, opening it from {@code bytes} (fetched only when it is not open) with
     * {@code options}; every other model no task uses is closed first.
     */
    static synchronized Lease acquire(Key key, EdgeOptions options, Supplier<byte[]> bytes) {
        Objects.requireNonNull(key, "key");
        Entry e = OPEN.get(key);
        if (e == null) {
            // Idle sessions go before the new one opens, so that an executor never holds two models' weights for one.
            closeIdle();
            // Opening under the lock: two tasks starting together on a new model open it once, not twice.
            e = new Entry(EdgeModel.load(bytes.get(), options));
            OPENED.incrementAndGet();
            OPEN.put(key, e);
        }
        e.users++;
        return new Lease(key, e.model);
    }

    /** Sessions this JVM has opened since it started. */
    public static long opened() {
        return OPENED.get();
    }

    /** Sessions this JVM has closed because no task used them any more. */
    public static long closed() {
        return CLOSED.get();
    }

    /** Sessions open now. */
    public static synchronized int openNow() {
        return OPEN.size();
    }

    /** Closes every model no task uses, e.g. before an application ends its Spark session. */
    public static synchronized void closeIdle() {
        OPEN.entrySet().removeIf(other -> {
            if (other.getValue().users == 0) {
                other.getValue().model.close();
                CLOSED.incrementAndGet();
                return true;
            }
            return false;
        });
    }
}
