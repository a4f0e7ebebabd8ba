package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLoaderTest {
    private static final ImageTransforms SMALL = ImageTransforms.imagenet(8);

    @TempDir
    Path dir;

    /** {@code n} solid 12 x 10 images over two classes; image i has red channel i * 10. */
    private List<Item> items(int n) {
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path p = TestImages.png(dir.resolve(String.format("img%02d.png", i)), 12, 10, (i * 10) << 16 | 0x40);
            items.add(Item.singleLabel(p, i % 2));
        }
        return items;
    }

    private static int indexOf(Path p) {
        String name = p.getFileName().toString();
        return Integer.parseInt(name.substring(3, 5));
    }

    private static List<Batch> drain(DataLoader loader, int epoch) {
        List<Batch> out = new ArrayList<>();
        try (DataLoader.Epoch e = loader.epoch(epoch)) {
            for (Batch b : e) {
                out.add(b);
            }
        }
        return out;
    }

    private static long liveWorkerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(DataLoader.THREAD_PREFIX) && t.isAlive()).count();
    }

    @AfterEach
    void noLeakedThreads() {
        assertThat(liveWorkerThreads()).isZero();
    }

    @Test
    void validationYieldsEveryItemOnceInOrder() {
        List<Item> items = items(23);
        try (DataLoader loader = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.VALID)
                .optTransforms(SMALL).optBatchSize(5).optWorkers(3).build()) {
            assertThat(loader.batchCount()).isEqualTo(5);
            List<Batch> batches = drain(loader, 0);
            assertThat(batches).extracting(Batch::n).containsExactly(5, 5, 5, 5, 3);
            List<Path> paths = batches.stream().flatMap(b -> b.paths().stream()).collect(Collectors.toList());
            assertThat(paths).isEqualTo(items.stream().map(Item::path).collect(Collectors.toList()));
            for (Batch b : batches) {
                assertThat(b.images()).hasSize(b.n() * 3 * 8 * 8);
                assertThat(b.c()).isEqualTo(3);
                assertThat(b.h()).isEqualTo(8);
                assertThat(b.w()).isEqualTo(8);
                for (int k = 0; k < b.n(); k++) {
                    int i = indexOf(b.paths().get(k));
                    assertThat(b.classIndices()[k]).isEqualTo(i % 2);
                    assertThat(b.images()[k * 192]).isCloseTo(Normalization.IMAGENET.apply(0, i * 10), within(1e-5f));
                }
            }
        }
    }

    @Test
    void trainingShufflesPerEpochAndDropsTheLastBatch() {
        List<Item> items = items(23);
        try (DataLoader loader = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.TRAIN)
                .optTransforms(SMALL).optBatchSize(5).optWorkers(2).build()) {
            assertThat(loader.batchCount()).isEqualTo(4);
            List<Batch> e0 = drain(loader, 0);
            List<Batch> e1 = drain(loader, 1);
            assertThat(e0).hasSize(4).allSatisfy(b -> assertThat(b.n()).isEqualTo(5));
            List<Path> p0 = e0.stream().flatMap(b -> b.paths().stream()).collect(Collectors.toList());
            List<Path> p1 = e1.stream().flatMap(b -> b.paths().stream()).collect(Collectors.toList());
            assertThat(new HashSet<>(p0)).hasSize(20);
            assertThat(p0).isNotEqualTo(p1);
            assertThat(p0).isNotEqualTo(items.subList(0, 20).stream().map(Item::path).collect(Collectors.toList()));
        }
    }

    @Test
    void sameSeedGivesSameBatchesWhateverTheWorkerCount() {
        List<Item> items = items(12);
        List<Batch> one;
        List<Batch> four;
        try (DataLoader a = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.TRAIN).optTransforms(SMALL)
                .optBatchSize(4).optWorkers(1).optSeed(9).build()) {
            one = drain(a, 3);
        }
        try (DataLoader b = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.TRAIN).optTransforms(SMALL)
                .optBatchSize(4).optWorkers(4).optPrefetch(1).optSeed(9).build()) {
            four = new ArrayList<>();
            try (DataLoader.Epoch e = b.epoch(3)) {
                assertThat(liveWorkerThreads()).as("one thread per worker, started with the epoch").isEqualTo(4);
                e.forEach(four::add);
            }
        }
        assertThat(four).hasSameSizeAs(one);
        for (int i = 0; i < one.size(); i++) {
            assertThat(four.get(i).paths()).isEqualTo(one.get(i).paths());
            assertThat(four.get(i).images()).containsExactly(one.get(i).images());
        }
    }

    @Test
    void unreadableImagesAreSkippedAndReportedOnce() {
        List<Item> items = new ArrayList<>(items(6));
        Path bad = TestImages.text(dir.resolve("img99.png"), "not a png");
        items.add(2, Item.singleLabel(bad, 1));
        List<Path> reported = new CopyOnWriteArrayList<>();
        try (DataLoader loader = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.VALID).optTransforms(SMALL)
                .optBatchSize(4).optWorkers(2).optListener((p, why) -> reported.add(p)).build()) {
            for (int epoch = 0; epoch < 3; epoch++) {
                List<Batch> batches = drain(loader, epoch);
                assertThat(batches).extracting(Batch::n).containsExactly(3, 3);
                Batch first = batches.get(0);
                assertThat(first.paths()).doesNotContain(bad);
                assertThat(first.images()).hasSize(3 * 192);
                for (int k = 0; k < 3; k++) {
                    int i = indexOf(first.paths().get(k));
                    assertThat(first.images()[k * 192]).isCloseTo(Normalization.IMAGENET.apply(0, i * 10),
                            within(1e-5f));
                    assertThat(first.classIndices()[k]).isEqualTo(i % 2);
                }
            }
            assertThat(reported).containsExactly(bad);
            assertThat(loader.unreadable()).containsExactly(bad);
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void imagesOverTheByteLimitAndEndlessFilesAreSkippedAsUnreadable() throws Exception {
        List<Item> items = new ArrayList<>(items(6));
        Path big = dir.resolve("img97.png");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(dev.graft.files.InputFiles.DEFAULT_MAX_IMAGE_BYTES + 1); // sparse: refused from its size
        }
        Path fifo = dir.resolve("img98.png");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0,
                "mkfifo failed: FIFO case not run");
        items.add(1, Item.singleLabel(big, 1));
        items.add(3, Item.singleLabel(fifo, 1));
        items.add(5, Item.singleLabel(Path.of("/dev/zero"), 0));
        java.util.Map<Path, String> reported = new java.util.concurrent.ConcurrentHashMap<>();
        try (DataLoader loader = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.VALID).optTransforms(SMALL)
                .optBatchSize(3).optWorkers(2).optListener(reported::put).build()) {
            assertThat(drain(loader, 0)).extracting(Batch::n).containsExactly(2, 1, 3);
        }
        assertThat(reported).containsOnlyKeys(big, fifo, Path.of("/dev/zero"));
        assertThat(reported.get(big)).isEqualTo("it is 64.0 MiB (67108865 bytes), over the limit of 64 MiB");
        assertThat(reported.get(fifo)).startsWith("it is a FIFO (named pipe), not a regular file");
        assertThat(reported.get(Path.of("/dev/zero"))).startsWith("it is a character device, not a regular file");

        // a lower limit makes the ordinary 12 x 10 PNGs unreadable too
        List<Item> four = items(4);
        long pngBytes = Long.MAX_VALUE;
        for (Item item : four) {
            pngBytes = Math.min(pngBytes, java.nio.file.Files.size(item.path()));
        }
        List<Path> low = new CopyOnWriteArrayList<>();
        try (DataLoader loader = DataLoader.builder(four, Task.SINGLE_LABEL, 2, Split.VALID).optTransforms(SMALL)
                .optBatchSize(2).optWorkers(2).optMaxImageBytes(pngBytes - 1).optListener((p, why) -> low.add(p))
                .build()) {
            assertThat(drain(loader, 0)).isEmpty();
        }
        assertThat(low).hasSize(4);
        assertThatThrownBy(() -> DataLoader.builder(items(2), Task.SINGLE_LABEL, 2, Split.VALID).optMaxImageBytes(0))
                .hasMessage("the image byte limit must be from 1 to 2147483639, not 0");
    }

    @Test
    void aBatchOfOnlyUnreadableImagesIsLeftOut() {
        List<Item> items = new ArrayList<>();
        items.add(Item.singleLabel(TestImages.text(dir.resolve("bad1.png"), "x"), 0));
        items.add(Item.singleLabel(TestImages.text(dir.resolve("bad2.png"), "x"), 1));
        items.addAll(items(2));
        try (DataLoader loader = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.VALID).optTransforms(SMALL)
                .optBatchSize(2).optWorkers(2).optListener((p, why) -> { }).build()) {
            assertThat(drain(loader, 0)).extracting(Batch::n).containsExactly(2);
        }
    }

    @Test
    void workerExceptionReachesTheConsumer() {
        List<Item> items = new ArrayList<>(items(8));
        items.add(5, Item.singleLabel(TestImages.text(dir.resolve("img98.png"), "broken"), 0));
        try (DataLoader loader = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.VALID).optTransforms(SMALL)
                .optBatchSize(3).optWorkers(2).optListener((p, why) -> {
                    throw new IllegalStateException("listener failed on " + p.getFileName());
                }).build()) {
            DataLoader.Epoch epoch = loader.epoch(0);
            var it = epoch.iterator();
            assertThat(it.next().n()).isEqualTo(3);
            assertThatThrownBy(it::next).isInstanceOf(IllegalStateException.class)
                    .hasMessage("listener failed on img98.png");
            assertThat(it.hasNext()).isFalse();
            assertThat(drain(loader, 1)).hasSize(3); // the loader is still usable
        }
    }

    @Test
    void multiLabelAndRegressionTargets() {
        List<Item> base = items(5);
        List<Item> multi = new ArrayList<>();
        List<Item> reg = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            multi.add(Item.multiLabel(base.get(i).path(), new float[] {i % 2, 1, 0}));
            reg.add(Item.regression(base.get(i).path(), i * 1.5f));
        }
        try (DataLoader loader = DataLoader.builder(multi, Task.MULTI_LABEL, 3, Split.VALID).optTransforms(SMALL)
                .optBatchSize(2).optWorkers(2).build()) {
            Batch b = drain(loader, 0).get(1);
            assertThat(b.targetWidth()).isEqualTo(3);
            assertThat(b.targets()).containsExactly(0, 1, 0, 1, 1, 0);
            assertThatThrownBy(b::classIndices).isInstanceOf(IllegalStateException.class);
        }
        try (DataLoader loader = DataLoader.builder(reg, Task.REGRESSION, 1, Split.VALID).optTransforms(SMALL)
                .optBatchSize(2).optWorkers(1).build()) {
            List<Batch> batches = drain(loader, 0);
            assertThat(batches.get(2).targets()).containsExactly(6f);
            assertThat(batches.get(0).targets()).containsExactly(0f, 1.5f);
        }
    }

    @Test
    void abandoningAnEpochAndClosingEarlyDoNotHang() {
        List<Item> items = items(20);
        DataLoader loader = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.TRAIN).optTransforms(SMALL)
                .optBatchSize(2).optWorkers(3).build();
        var it = loader.epoch(0).iterator();
        assertThat(it.next().n()).isEqualTo(2);
        assertThat(drain(loader, 1)).hasSize(10); // starting epoch 1 closes epoch 0
        assertThat(it.hasNext()).isFalse();
        loader.epoch(2).iterator().next();
        loader.close();
        loader.close();
        assertThat(liveWorkerThreads()).isZero();
        assertThatThrownBy(() -> loader.epoch(3)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void fromDatasetUsesSplitDefaults() {
        for (String c : List.of("a", "b")) {
            for (int i = 0; i < 5; i++) {
                TestImages.png(dir.resolve("ds/" + c + "/" + i + ".png"), 9, 9, c.equals("a") ? 0 : 0xFFFFFF);
            }
        }
        ImageDataset ds = ImageDataset.fromFolders(dir.resolve("ds"));
        Set<Path> seen = new HashSet<>();
        try (DataLoader train = DataLoader.builder(ds, Split.TRAIN).optTransforms(SMALL).optBatchSize(3).optWorkers(2)
                .build();
                DataLoader valid = DataLoader.builder(ds, Split.VALID).optTransforms(SMALL).optBatchSize(3).optWorkers(2)
                        .build()) {
            assertThat(drain(train, 0)).hasSize(2);
            drain(valid, 0).forEach(b -> seen.addAll(b.paths()));
        }
        assertThat(seen).hasSize(2);
    }

    @Test
    void closingFromAnotherThreadEndsTheConsumersIteration() throws Exception {
        List<Item> items = items(40);
        DataLoader loader = DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.VALID).optTransforms(SMALL)
                .optBatchSize(1).optWorkers(1).optPrefetch(1).build();
        DataLoader.Epoch epoch = loader.epoch(0);
        java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        Thread consumer = new Thread(() -> {
            for (Batch b : epoch) {
                seen.incrementAndGet();
                first.countDown();
            }
        });
        consumer.start();
        assertThat(first.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        loader.close();
        consumer.join(10_000);
        assertThat(consumer.isAlive()).isFalse();
        assertThat(seen.get()).isBetween(1, 40);
    }

    @Test
    void tooFewTrainingImagesForOneBatchIsReportedAndEmptyValidationIsFine() {
        List<Item> items = items(3);
        assertThatThrownBy(() -> DataLoader.builder(items, Task.SINGLE_LABEL, 2, Split.TRAIN).optBatchSize(4).build())
                .isInstanceOf(dev.graft.models.GraftException.class)
                .hasMessage("Only 3 training images, fewer than the batch size 4; lower the batch size");
        try (DataLoader empty = DataLoader.builder(List.of(), Task.SINGLE_LABEL, 2, Split.VALID).optWorkers(1).build()) {
            assertThat(empty.batchCount()).isZero();
            assertThat(drain(empty, 0)).isEmpty();
        }
    }
}
