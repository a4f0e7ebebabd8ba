package dev.graft.cli;

import dev.graft.files.ByteCapExceededException;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightFiles;
import dev.graft.models.weights.WeightLoader;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.ImageDecoder;
import dev.graft.trainer.data.Item;
import dev.graft.trainer.data.UnreadableImageException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Set;
import java.util.stream.IntStream;
import picocli.CommandLine.Option;

/**
 * What {@code graft train} and {@code graft lr-find} share: the data, the pretrained body, and the loader settings.
 * Every check that can fail runs here, before any training starts.
 */
final class TrainingOptions {
    @Option(names = "--data", required = true, paramLabel = "DIR|CSV",
        description = "A folder with one sub-folder per class (train/ and valid/ inside, or a random split), or a CSV: "
            + "file name and space-separated labels (--multi-label) or a number (--regression).")
    Path data;

    @Option(names = "--multi-label", description = "Multi-label data: a CSV with space-separated labels per image.")
    boolean multiLabel;

    @Option(names = "--regression", description = "Regression data: a CSV with a number per image (MSE loss).")
    boolean regression;

    @Option(names = "--valid-pct", defaultValue = "0.2",
        description = "Validation share when the data has no train/valid split (default: ${DEFAULT-VALUE}).")
    double validPct;

    @Option(names = "--seed", defaultValue = "42",
        description = "Seeds the split, the initial weights, shuffling, augmentation and dropout: the same seed repeats a run "
            + "on the same machine (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--pretrained", paramLabel = "FILE",
        description = "Pretrained body weights: safetensors or a PyTorch file such as torchvision's resnet34-b627a593.pth "
            + "(torchvision/timm names, or a fastai state dict). "
            + "Without it the body starts from random initialisation.")
    Path pretrained;

    @Option(names = "--size", defaultValue = "224", description = "Square image size in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--workers", description = "Image decoding threads (default: the number of cores).")
    Integer workers;

    @Option(names = "--freeze-bn", description = "Freeze BatchNorm and LayerNorm in frozen layer groups too (fastai's train_bn=False).")
    boolean freezeBn;

    @Option(names = "--skip-unreadable", description = "Leave out images that cannot be read instead of stopping.")
    boolean skipUnreadable;

    @Option(names = "--max-image-bytes", defaultValue = "64MB", paramLabel = "SIZE", description = CliOptions.MAX_IMAGE_BYTES_HELP
        + " Such images count as unreadable (see --skip-unreadable).")
    String maxImageBytes;

    /** The parsed {@code --max-image-bytes}. */
    long maxImageBytes() {
        return CliOptions.parseBytes("--max-image-bytes", maxImageBytes);
    }

    ImageDataset loadData() {
        if (multiLabel && regression) {
            throw new GraftException("--multi-label and --regression contradict each other");
        }
        if (!Files.exists(data)) {
            throw new GraftException("data not found: " + data);
        }
        if (Files.isDirectory(data)) {
            if (multiLabel || regression) {
                throw new GraftException("--multi-label and --regression take a CSV file, not the folder " + data);
            }
            return ImageDataset.fromFolders(data, validPct, seed);
        }
        Task task = multiLabel ? Task.MULTI_LABEL : regression ? Task.REGRESSION : Task.SINGLE_LABEL;
        return ImageDataset.fromCsv(data, task, null, validPct, seed);
    }

    /**
     * Reads every image once (on all cores) so that unreadable files stop the run before training rather than in
     * the middle of it; with {@code --skip-unreadable} they are named and left out of the returned dataset, so that
     * the counts printed next are the images actually used.
     */
    ImageDataset checkImages(ImageDataset dataset, PrintWriter err) {
        List<Item> all = new ArrayList<>(dataset.train());
        all.addAll(dataset.valid());
        String[] problems = new String[all.size()];
        long cap = maxImageBytes();
        AtomicBoolean overCap = new AtomicBoolean();
        IntStream.range(0, all.size()).parallel().forEach(i -> {
            try {
                ImageDecoder.decode(all.get(i).path(), cap);
            } catch (UnreadableImageException e) {
                problems[i] = all.get(i).path() + " (" + e.reason() + ")";
                if (e.getCause() instanceof ByteCapExceededException) {
                    overCap.set(true);
                }
            }
        });
        List<String> bad = new ArrayList<>();
        Set<Path> badPaths = new HashSet<>();
        int badTrain = 0;
        for (int i = 0; i < problems.length; i++) {
            if (problems[i] != null) {
                bad.add(problems[i]);
                badPaths.add(all.get(i).path());
                badTrain += i < dataset.train().size() ? 1 : 0;
            }
        }
        if (bad.isEmpty()) {
            return dataset;
        }
        String shown = String.join(", ", bad.subList(0, Math.min(3, bad.size())))
            + (bad.size() > 3 ? " and " + (bad.size() - 3) + " more" : "")
            + (overCap.get() ? "; --max-image-bytes raises the limit" : "");
        if (!skipUnreadable || badTrain == dataset.train().size()) {
            throw new GraftException(bad.size() + " of " + all.size() + " images cannot be read: " + shown
                + (badTrain == dataset.train().size() ? "; no training image is left"
                    : "; remove them or pass --skip-unreadable"));
        }
        err.println("graft: skipping " + bad.size() + " unreadable image" + (bad.size() > 1 ? "s" : "") + " ("
            + badTrain + " training, " + (bad.size() - badTrain) + " validation): " + shown);
        err.flush();
        return dataset.without(badPaths);
    }

    /** The pretrained body's tensors by Graft name, checked against the network (null without --pretrained). */
    Map<String, Tensor> bodyWeights(Network net) {
        if (pretrained == null) {
            return null;
        }
        if (!Files.isRegularFile(pretrained)) {
            throw new GraftException("pretrained weights not found: " + pretrained);
        }
        try (TensorFile file = WeightFiles.open(pretrained)) {
            Map<String, Tensor> loaded = WeightLoader.load(net, file.all(), LoadMode.BODY).tensors();
            Map<String, Tensor> copy = new java.util.LinkedHashMap<>();
            loaded.forEach((k, v) -> copy.put(k, Tensor.ofFloats(v.shape(), v.toFloatArray())));
            return copy;
        } catch (GraftException e) {
            throw new GraftException("--pretrained " + pretrained + " does not fit " + net.arch() + ": "
                + e.getMessage(), e);
        }
    }

    int workers() {
        return workers != null ? workers : Runtime.getRuntime().availableProcessors();
    }

    void checkNumbers() {
        maxImageBytes();
        if (size < 16 || size > 2048) {
            throw new GraftException("--size must be between 16 and 2048, got " + size);
        }
        if (batch < 1) {
            throw new GraftException("--batch must be at least 1, got " + batch);
        }
        if (workers != null && workers < 1) {
            throw new GraftException("--workers must be at least 1, got " + workers);
        }
    }
}
