package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import dev.graft.files.InputFiles;
import dev.graft.image.PixelBuffer;
import dev.graft.models.GraftException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * fastai's {@code DataLoader} for one side of a split: batches of decoded, transformed images, built ahead of the
 * consumer on worker threads so the model does not wait for JPEG decoding.
 *
 * <p>Each epoch is ordered and seeded independently of thread timing: training shuffles with (seed, epoch), and each
 * item's augmentation is seeded with (seed, epoch, item), so two runs with the same seed see identical batches.
 * Training drops the last incomplete batch, as fastai does (small final batches upset batch norm); validation keeps
 * it and never shuffles or augments.
 *
 * <p>At most {@code prefetch} batches are in flight ahead of the consumer, which bounds memory. Work is submitted per
 * image, so even the first batch is decoded by all workers together. An image that cannot be decoded is reported once
 * to the {@link UnreadableImageListener} and left out of its batch (and of later epochs); any other exception in a
 * worker is rethrown to the consumer from {@link Iterator#next()} or {@link Iterator#hasNext()}.
 *
 * <p>Close the loader to stop its threads; an unclosed loader's threads are daemons and do not keep the JVM alive.
 */
public final class DataLoader implements AutoCloseable {
    private static final AtomicInteger LOADERS = new AtomicInteger();

    /** Prefix of every worker thread's name. */
    public static final String THREAD_PREFIX = "graft-data-";

    private final List<Item> items;
    private final Task task;
    private final int targetWidth;
    private final ImageTransforms transforms;
    private final int batchSize;
    private final int workers;
    private final int prefetch;
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final boolean augment;
    private final UnreadableImageListener listener;
    private final long maxImageBytes;
    private final ThreadPoolExecutor pool;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final Set<Path> unreadable = ConcurrentHashMap.newKeySet();
    private Epoch current;
    private boolean closed;

    private DataLoader(Builder b) {
        this.items = List.copyOf(b.items);
        this.task = b.task;
        this.targetWidth = b.targetWidth;
        this.transforms = b.transforms;
        this.batchSize = b.batchSize;
        this.workers = b.workers;
        this.maxImageBytes = b.maxImageBytes;
        this.prefetch = b.prefetch > 0 ? b.prefetch : Math.max(2, (2 * b.workers + b.batchSize - 1) / b.batchSize);
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.augment = b.augment;
        this.listener = b.listener;
        String prefix = THREAD_PREFIX + LOADERS.incrementAndGet() + "-";
        AtomicInteger count = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, prefix + count.incrementAndGet());
                    t.setDaemon(true);
                    threads.add(t);
                    return t;
                });
    }

    /** A loader over one side of {@code dataset}, with the defaults for that side (see {@link Builder}). */
    public static Builder builder(ImageDataset dataset, Split split) {
        return new Builder(dataset.items(split), dataset.task(), dataset.targetWidth(), split);
    }

    /** A loader over arbitrary items; {@code targetWidth} is the class count (or 1 for regression). */
    public static Builder builder(List<Item> items, Task task, int targetWidth, Split split) {
        return new Builder(items, task, targetWidth, split);
    }

    /** Items this loader serves per epoch (before unreadable ones are dropped). */
    public int size() {
        return items.size();
    }

    public int batchSize() {
        return batchSize;
    }

    public int workers() {
        return workers;
    }

    /** Batches per epoch, assuming every image is readable. */
    public int batchCount() {
        return dropLast ? items.size() / batchSize : (items.size() + batchSize - 1) / batchSize;
    }

    /** Files skipped so far because they could not be decoded. */
    public Set<Path> unreadable() {
        return Collections.unmodifiableSet(unreadable);
    }

    /**
     * Starts producing the batches of {@code epoch} right away; iterate the result once. Starting another epoch
     * closes this one, and so does closing the loader.
     */
    public synchronized Epoch epoch(int epoch) {
        if (closed) {
            throw new IllegalStateException("data loader is closed");
        }
        if (current != null) {
            current.close();
        }
        current = new Epoch(epoch);
        return current;
    }

    /** Stops the workers and waits for them to exit. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (current != null) {
            current.close();
        }
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("data loader workers did not stop within 30 s");
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The batches of one epoch, produced ahead of the consumer; close it to abandon the epoch early. */
    public final class Epoch implements Iterable<Batch>, AutoCloseable {
        private final int number;
        private final int[] order;
        private final int batches;
        private final ConcurrentLinkedDeque<Slot> inFlight = new ConcurrentLinkedDeque<>();
        private int submitted;
        private int taken;
        private Batch lookahead;
        private boolean iterated;
        private volatile boolean stopped;

        private Epoch(int number) {
            this.number = number;
            int n = items.size();
            this.order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            if (shuffle) {
                SplittableRandom rnd = new SplittableRandom(Seeds.forEpoch(seed, number));
                for (int i = n - 1; i > 0; i--) {
                    int j = rnd.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
            this.batches = batchCount();
            while (submitted < batches && submitted < prefetch) {
                submitNext();
            }
        }

        public int number() {
            return number;
        }

        @Override
        public Iterator<Batch> iterator() {
            if (iterated) {
                throw new IllegalStateException("an epoch can be iterated once; call epoch() again");
            }
            iterated = true;
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return advance();
                }

                @Override
                public Batch next() {
                    if (!advance()) {
                        throw new NoSuchElementException();
                    }
                    Batch b = lookahead;
                    lookahead = null;
                    return b;
                }
            };
        }

        /**
         * Cancels the work not yet started; safe to call more than once, and from another thread, in which case the
         * consumer's iteration simply ends.
         */
        @Override
        public void close() {
            stopped = true;
            for (Slot s : inFlight) {
                for (Future<?> f : s.futures) {
                    f.cancel(false);
                }
            }
        }

        private boolean advance() {
            while (lookahead == null && taken < batches && !stopped) {
                lookahead = take();
            }
            return lookahead != null;
        }

        private void submitNext() {
            if (stopped) {
                return;
            }
            int start = submitted * batchSize;
            int end = Math.min(items.size(), start + batchSize);
            Slot slot = new Slot(submitted, start, end - start);
            for (int k = 0; k < slot.count; k++) {
                int itemIndex = order[start + k];
                int position = k;
                try {
                    slot.futures.add(pool.submit(() -> load(slot, position, itemIndex)));
                } catch (RejectedExecutionException e) {
                    stopped = true; // the loader is closing
                    return;
                }
            }
            inFlight.add(slot);
            submitted++;
            if (stopped) {
                close();
            }
        }

        private void load(Slot slot, int position, int itemIndex) {
            if (stopped) {
                return;
            }
            Path path = items.get(itemIndex).path();
            if (unreadable.contains(path)) {
                return;
            }
            try {
                PixelBuffer img = ImageDecoder.decode(path, maxImageBytes);
                int offset = position * transforms.floatsPerImage();
                if (augment) {
                    transforms.train(img, Seeds.forItem(seed, number, itemIndex), slot.images, offset);
                } else {
                    transforms.valid(img, slot.images, offset);
                }
                slot.ok[position] = true;
            } catch (UnreadableImageException e) {
                if (!stopped && unreadable.add(path)) {
                    listener.unreadable(path, e.reason());
                }
            }
        }

        /** Waits for the oldest batch; null when every image in it was unreadable. */
        private Batch take() {
            Slot slot = inFlight.peek();
            if (slot == null) {
                stopped = true;
                return null;
            }
            taken++;
            if (submitted < batches) {
                submitNext();
            }
            try {
                for (Future<?> f : slot.futures) {
                    f.get();
                }
                inFlight.remove(slot);
            } catch (CancellationException e) {
                return null; // closed meanwhile; stopped is set
            } catch (ExecutionException e) {
                close();
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                if (cause instanceof Error) {
                    throw (Error) cause;
                }
                throw new IllegalStateException("data loader worker failed", cause);
            } catch (InterruptedException e) {
                close();
                Thread.currentThread().interrupt();
                throw new GraftException("Interrupted while waiting for a batch", e);
            }
            return assemble(slot);
        }

        private Batch assemble(Slot slot) {
            int per = transforms.floatsPerImage();
            int n = 0;
            for (boolean b : slot.ok) {
                n += b ? 1 : 0;
            }
            if (n == 0) {
                return null;
            }
            float[] images = slot.images;
            if (n < slot.count) {
                images = new float[n * per];
                for (int k = 0, j = 0; k < slot.count; k++) {
                    if (slot.ok[k]) {
                        System.arraycopy(slot.images, k * per, images, j++ * per, per);
                    }
                }
            }
            List<Path> paths = new ArrayList<>(n);
            int[] classes = task == Task.SINGLE_LABEL ? new int[n] : null;
            int width = task == Task.MULTI_LABEL ? targetWidth : 1;
            float[] targets = task == Task.SINGLE_LABEL ? null : new float[n * width];
            for (int k = 0, j = 0; k < slot.count; k++) {
                if (!slot.ok[k]) {
                    continue;
                }
                Item item = items.get(order[slot.start + k]);
                paths.add(item.path());
                if (task == Task.SINGLE_LABEL) {
                    classes[j] = item.classIndex();
                } else if (task == Task.MULTI_LABEL) {
                    item.copyMultiHot(targets, j * width);
                } else {
                    targets[j] = item.value();
                }
                j++;
            }
            return new Batch(slot.index, images, n, 3, transforms.height(), transforms.width(), task, classes, targets,
                    width, paths);
        }
    }

    /** One batch being built: its items' futures and the shared output array they write into. */
    private final class Slot {
        final int index;
        final int start;
        final int count;
        final float[] images;
        final boolean[] ok;
        final List<Future<?>> futures;

        Slot(int index, int start, int count) {
            this.index = index;
            this.start = start;
            this.count = count;
            this.images = new float[count * transforms.floatsPerImage()];
            this.ok = new boolean[count];
            this.futures = new ArrayList<>(count);
        }
    }

    /**
     * Options, defaulting as fastai: batch size 64; for {@link Split#TRAIN} shuffle, augment and drop the last
     * incomplete batch, for {@link Split#VALID} none of these; one worker per available processor; seed 42;
     * ImageNet normalisation at 224 x 224 with fastai's augmentations. The items, task and split are given to
     * {@link DataLoader#builder}; every other option is optional ({@code optX}, DJL's convention).
     */
    public static final class Builder {
        private final List<Item> items;
        private final Task task;
        private final int targetWidth;
        private ImageTransforms transforms = ImageTransforms.imagenet(AugmentConfig.DEFAULT_SIZE);
        private int batchSize = 64;
        private int workers = Runtime.getRuntime().availableProcessors();
        private int prefetch;
        private long seed = ImageDataset.DEFAULT_SEED;
        private boolean shuffle;
        private boolean dropLast;
        private boolean augment;
        private UnreadableImageListener listener = UnreadableImageListener.logging();
        private long maxImageBytes = InputFiles.DEFAULT_MAX_IMAGE_BYTES;

        private Builder(List<Item> items, Task task, int targetWidth, Split split) {
            this.items = Objects.requireNonNull(items, "items");
            this.task = Objects.requireNonNull(task, "task");
            this.targetWidth = targetWidth;
            boolean training = split == Split.TRAIN;
            this.shuffle = training;
            this.dropLast = training;
            this.augment = training;
            for (Item item : items) {
                if (item.task() != task) {
                    throw new IllegalArgumentException("item " + item + " is not " + task);
                }
                if (task == Task.MULTI_LABEL && item.multiHotLength() != targetWidth) {
                    throw new IllegalArgumentException("item " + item + " does not have " + targetWidth + " labels");
                }
            }
        }

        public Builder optTransforms(ImageTransforms t) {
            this.transforms = Objects.requireNonNull(t);
            return this;
        }

        public Builder optBatchSize(int n) {
            if (n < 1) {
                throw new GraftException("Batch size must be at least 1, got " + n);
            }
            this.batchSize = n;
            return this;
        }

        public Builder optWorkers(int n) {
            if (n < 1) {
                throw new GraftException("Data loader workers must be at least 1, got " + n);
            }
            this.workers = n;
            return this;
        }

        /** Batches decoded ahead of the consumer; 0 picks enough to keep every worker busy. */
        public Builder optPrefetch(int batches) {
            if (batches < 0) {
                throw new GraftException("Prefetch must be 0 or more batches, got " + batches);
            }
            this.prefetch = batches;
            return this;
        }

        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        public Builder optShuffle(boolean b) {
            this.shuffle = b;
            return this;
        }

        public Builder optAugment(boolean b) {
            this.augment = b;
            return this;
        }

        /**
         * The largest image file read, in bytes (default 64 MiB); a larger one, or one that is not a regular file, is
         * unreadable: reported to the listener and skipped like a corrupt image.
         */
        public Builder optMaxImageBytes(long bytes) {
            if (bytes < 1 || bytes > InputFiles.MAX_CAP) {
                throw new GraftException("the image byte limit must be from 1 to " + InputFiles.MAX_CAP + ", not " + bytes);
            }
            this.maxImageBytes = bytes;
            return this;
        }

        public Builder optListener(UnreadableImageListener l) {
            this.listener = Objects.requireNonNull(l);
            return this;
        }

        public DataLoader build() {
            if (dropLast && !items.isEmpty() && items.size() < batchSize) {
                throw new GraftException("Only " + items.size() + " training image" + (items.size() > 1 ? "s" : "")
                        + ", fewer than the batch size " + batchSize + "; lower the batch size");
            }
            return new DataLoader(this);
        }
    }
}
