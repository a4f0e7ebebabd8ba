package dev.graft.exporter.quant;

import dev.graft.models.GraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Image files found in a folder: the calibration set (any layout, sampled) and the labelled evaluation set (one
 * sub-folder per class, fastai's and ImageNet's layout).
 *
 * <p>Every problem with the folder is found here, before a model runs: a missing or empty folder, fewer images than
 * asked for, images too small for the model, class folders the model has no label for. Each is one line that names
 * the folder or file.
 */
public final class ImageFolder {
    /** File name extensions read as images, lower case. */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");
    /** The fewest calibration images accepted: below this, the ranges describe a handful of pictures. */
    public static final int MIN_CALIBRATION_IMAGES = 8;
    /** The default number of calibration images, a common choice in ONNX Runtime's and TensorRT's guides. */
    public static final int DEFAULT_CALIBRATION_IMAGES = 256;
    /** The seed of the calibration sample, fixed so that an export is reproducible. */
    public static final long SAMPLE_SEED = 42;

    private ImageFolder() {
    }

    /**
     * {@code count} images from {@code dir} (searched recursively, so a class-per-folder training set works as it
     * is), drawn at random with a fixed seed so that every class is represented, preprocessed by {@code pre}.
     * Each image's header is read now: an image smaller than half the model's input on either side is refused, since
     * calibrating on blown-up thumbnails measures activations the deployed model will not see.
     *
     * @throws GraftException if the folder is missing or empty, holds fewer than {@code count} images, {@code count}
     *     is below {@value #MIN_CALIBRATION_IMAGES}, or an image is unreadable or too small
     */
    public static CalibrationData calibration(Path dir, int count, ImagePreprocessor pre) {
        if (count < MIN_CALIBRATION_IMAGES) {
            throw new GraftException("calibration needs at least " + MIN_CALIBRATION_IMAGES + " images, not " + count);
        }
        List<Path> all = list(dir, "calibration");
        if (all.size() < count) {
            throw new GraftException("calibration needs " + count + " images but " + dir + " holds only " + all.size()
                    + "; add images or lower the calibration count (--calibration-count)");
        }
        List<Path> chosen = new ArrayList<>(all);
        Collections.shuffle(chosen, new Random(SAMPLE_SEED));
        chosen = List.copyOf(chosen.subList(0, count));
        for (Path p : chosen) {
            int[] wh = ImagePreprocessor.size(p, pre.maxImageBytes());
            if (2 * wh[0] < pre.width() || 2 * wh[1] < pre.height()) {
                throw new GraftException("calibration image " + p + " is " + wh[0] + "x" + wh[1]
                        + ", less than half the model's input " + pre.width() + "x" + pre.height()
                        + "; calibrate on images like those the model will see");
            }
        }
        return new FolderImages(chosen, pre, count + " images from " + dir);
    }

    /** A labelled image: its file and the index of its class among the model's labels. */
    public record Labelled(Path file, int label) {
    }

    /**
     * Every image under {@code dir/<label>/} (recursively), labelled by the folder's position in {@code labels}.
     *
     * @throws GraftException if the folder is missing or holds no images, or a sub-folder is not one of the labels
     */
    public static List<Labelled> labelled(Path dir, List<String> labels) {
        requireFolder(dir, "evaluation");
        List<Labelled> out = new ArrayList<>();
        List<Path> classes;
        try (Stream<Path> s = Files.list(dir)) {
            classes = s.filter(Files::isDirectory).filter(p -> !hidden(p)).sorted().toList();
        } catch (IOException e) {
            throw new GraftException("cannot list the evaluation folder " + dir + ": " + e.getMessage(), e);
        }
        for (Path c : classes) {
            String name = c.getFileName().toString();
            int label = labels.indexOf(name);
            if (label < 0) {
                throw new GraftException("evaluation folder " + dir + " has a class folder '" + name
                        + "' that is not one of the model's labels " + labels);
            }
            for (Path p : list(c, "evaluation")) {
                out.add(new Labelled(p, label));
            }
        }
        if (out.isEmpty()) {
            throw new GraftException("evaluation folder " + dir + " holds no class folders of images (" + dir
                    + "/<label>/*.png)");
        }
        return List.copyOf(out);
    }

    /** Image files under {@code dir}, recursively, in path order; hidden files and folders skipped. */
    static List<Path> list(Path dir, String what) {
        requireFolder(dir, what);
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> !hiddenBelow(dir, p))
                    .filter(ImageFolder::isImageName)
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new GraftException("cannot list the " + what + " folder " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new GraftException("the " + what + " folder " + dir + " holds no images (JPEG, PNG, BMP or GIF)");
        }
        return files;
    }

    private static void requireFolder(Path dir, String what) {
        if (!Files.isDirectory(dir)) {
            throw new GraftException("the " + what + " folder " + dir
                    + (Files.exists(dir) ? " is not a folder" : " does not exist"));
        }
    }

    private static boolean isImageName(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    private static boolean hiddenBelow(Path root, Path p) {
        for (Path part : root.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** Calibration images read on demand. */
    private static final class FolderImages implements CalibrationData {
        private final List<Path> files;
        private final ImagePreprocessor pre;
        private final String description;

        FolderImages(List<Path> files, ImagePreprocessor pre, String description) {
            this.files = files;
            this.pre = pre;
            this.description = description;
        }

        @Override
        public int size() {
            return files.size();
        }

        @Override
        public int channels() {
            return pre.channels();
        }

        @Override
        public int height() {
            return pre.height();
        }

        @Override
        public int width() {
            return pre.width();
        }

        @Override
        public void read(int index, float[] dst, int offset) {
            pre.read(files.get(index), dst, offset);
        }

        @Override
        public String describe() {
            return description;
        }
    }
}
