package dev.graft.edge;

import dev.graft.files.InputFiles;
import dev.graft.image.ImageDecoder;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How an {@link EdgeModel} is loaded and run: device, threads, graph optimisation, an optimised-model cache, and the
 * limits that protect a long-running process from one bad request.
 *
 * <p>Everything is optional; {@link #defaults()} runs on the best device available with ONNX Runtime's own thread
 * count and full graph optimisation. Immutable; build with {@link #builder()}.
 */
public final class EdgeOptions {
    /** ONNX Runtime's graph optimisation levels, named as its documentation names them. */
    public enum Optimization {
        /** Run the graph as written (for comparing against another runtime node by node). */
        NONE,
        /** Constant folding and redundant-node removal. */
        BASIC,
        /** Plus operator fusions. */
        EXTENDED,
        /** Plus layout optimisations for the CPU (the default: what a deployment wants). */
        ALL;

        static Optimization parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new EdgeException("unknown optimisation level '" + text + "'; use none, basic, extended or all");
            }
        }
    }

    private final String device;
    private final int intraOpThreads;
    private final Optimization optimization;
    private final Path optimizedModelCache;
    private final int topK;
    private final long maxPixels;
    private final long maxImageBytes;
    private final boolean spinning;
    private final boolean logNotes;

    private EdgeOptions(Builder b) {
        this.device = b.device;
        this.intraOpThreads = b.intraOpThreads;
        this.optimization = b.optimization;
        this.optimizedModelCache = b.optimizedModelCache;
        this.topK = b.topK;
        this.maxPixels = b.maxPixels;
        this.maxImageBytes = b.maxImageBytes;
        this.spinning = b.spinning;
        this.logNotes = b.logNotes;
    }

    /** The defaults: device {@code auto}, ONNX Runtime's thread count, {@link Optimization#ALL}, top 5. */
    public static EdgeOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code auto}, {@code cpu} or {@code cuda:N}, as asked (see {@link EdgeModel#device()} for what runs). */
    public String device() {
        return device;
    }

    /** Threads ONNX Runtime uses inside one operator; 0 lets it choose (one per physical core). */
    public int intraOpThreads() {
        return intraOpThreads;
    }

    public Optimization optimization() {
        return optimization;
    }

    /** The folder where optimised graphs are kept between runs, if any. */
    public Optional<Path> optimizedModelCache() {
        return Optional.ofNullable(optimizedModelCache);
    }

    /** How many classes a single-label prediction lists. */
    public int topK() {
        return topK;
    }

    /** The largest image (width x height) decoded; larger ones are refused from their header. */
    public long maxPixels() {
        return maxPixels;
    }

    /**
     * The largest encoded image accepted, in bytes: a file larger than this is refused from its size before it is
     * read, encoded bytes before they are decoded.
     */
    public long maxImageBytes() {
        return maxImageBytes;
    }

    @Override
    public String toString() {
        return "EdgeOptions[device=" + device + ", intraOpThreads=" + intraOpThreads + ", optimization="
                + optimization.name().toLowerCase(Locale.ROOT) + ", cache=" + optimizedModelCache + ", topK=" + topK
                + ", maxPixels=" + maxPixels + ", maxImageBytes=" + maxImageBytes + "]";
    }

    /** Builds {@link EdgeOptions}; every setting is optional. */
    /** Whether ONNX Runtime's intra-op threads busy-wait between operators (its default) or sleep. */
    public boolean spinning() {
        return spinning;
    }

    /** Whether the model logs its notes (assumptions, device fallback) or leaves showing them to the caller. */
    public boolean logNotes() {
        return logNotes;
    }

    public static final class Builder {
        private boolean spinning = true;
        private boolean logNotes = true;
        private String device = "auto";
        private int intraOpThreads;
        private Optimization optimization = Optimization.ALL;
        private Path optimizedModelCache;
        private int topK = 5;
        private long maxPixels = ImageDecoder.DEFAULT_MAX_PIXELS;
        private long maxImageBytes = InputFiles.DEFAULT_MAX_IMAGE_BYTES;

        private Builder() {
        }

        /**
         * {@code auto} (CUDA when this ONNX Runtime build and the machine have it, else the CPU), {@code cpu},
         * {@code cuda} or {@code cuda:N}. A CUDA request that cannot be met falls back to the CPU and says why once
         * in the log; {@link EdgeModel#deviceNote()} keeps the reason.
         *
         * @throws EdgeException for anything else
         */
        public Builder optDevice(String device) {
            Objects.requireNonNull(device, "device");
            String d = device.trim().toLowerCase(Locale.ROOT);
            this.device = d.equals("auto") ? d : Device.parse(d).toString();
            return this;
        }

        /** Threads per operator; 0 (the default) lets ONNX Runtime choose. */
        public Builder optIntraOpThreads(int threads) {
            if (threads < 0) {
                throw new EdgeException("intra-op threads must be 0 (automatic) or more, not " + threads);
            }
            this.intraOpThreads = threads;
            return this;
        }

        public Builder optOptimization(Optimization level) {
            this.optimization = Objects.requireNonNull(level, "level");
            return this;
        }

        /** {@code none}, {@code basic}, {@code extended} or {@code all}. */
        public Builder optOptimization(String level) {
            return optOptimization(Optimization.parse(level));
        }

        /**
         * Keeps the optimised graph in {@code folder} (created if missing), keyed by the model's SHA-256, the
         * optimisation level, the device and the ONNX Runtime version, so later loads skip optimisation.
         */
        public Builder optOptimizedModelCache(Path folder) {
            this.optimizedModelCache = folder;
            return this;
        }

        /** Classes listed per single-label prediction (default 5). */
        public Builder optTopK(int k) {
            if (k < 1) {
                throw new EdgeException("top-k must be at least 1, not " + k);
            }
            this.topK = k;
            return this;
        }

        /** The largest image accepted, in pixels (default {@value ImageDecoder#DEFAULT_MAX_PIXELS}). */
        public Builder optMaxPixels(long pixels) {
            if (pixels < 1) {
                throw new EdgeException("the pixel limit must be positive, not " + pixels);
            }
            this.maxPixels = pixels;
            return this;
        }

        /**
         * The largest encoded image accepted, in bytes (default 64 MiB): larger files and byte arrays are refused
         * with an {@link ImageTooLargeException}, files before a byte is read. Image files must be regular files
         * whatever the limit: {@code /dev/zero} or a FIFO never ends, and is refused before it is opened.
         */
        public Builder optMaxImageBytes(long bytes) {
            if (bytes < 1 || bytes > InputFiles.MAX_CAP) {
                throw new EdgeException("the image byte limit must be from 1 to " + InputFiles.MAX_CAP + ", not " + bytes);
            }
            this.maxImageBytes = bytes;
            return this;
        }

        /**
         * {@code false} lets ONNX Runtime's intra-op threads sleep between operators instead of spinning
         * ({@code session.intra_op.allow_spinning=0}): slower on an idle machine, much faster on one whose cores are
         * shared with other busy processes.
         */
        public Builder optSpinning(boolean allow) {
            this.spinning = allow;
            return this;
        }

        /**
         * {@code false} for a caller that shows {@link EdgeModel#deviceNote()} and {@link ModelMetadata#assumptions()}
         * itself (as the {@code graft} command does), so that the user reads each note once, not once from the log and
         * once from the caller. Default {@code true}: an application that never looks still has them in its log.
         */
        public Builder optLogNotes(boolean log) {
            this.logNotes = log;
            return this;
        }

        public EdgeOptions build() {
            return new EdgeOptions(this);
        }
    }
}
