package dev.graft.benchmarks.input;

import dev.graft.models.GraftException;
import dev.graft.trainer.data.AugmentConfig;
import dev.graft.trainer.data.ImageDecoder;
import dev.graft.trainer.data.ImageTransforms;
import dev.graft.trainer.data.Normalization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Real image files turned into model input, batch after batch, for end-to-end timing: each call reads the next files
 * from disk, decodes them and applies the validation transform (centre crop, resize, normalise) into one NCHW array.
 *
 * <p>It uses the trainer's decoder and transform, the same pixels the model was validated on; the files cycle when a
 * run needs more images than the folder has, so the operating system's file cache is warm after the first pass, as it
 * is for a service that sees the same kinds of files all day.
 */
public final class ImageBatches {
    private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

    private final List<Path> files;
    private final ImageTransforms transforms;
    private final int floatsPerImage;
    private int next;

    private ImageBatches(List<Path> files, ImageTransforms transforms) {
        this.files = files;
        this.transforms = transforms;
        this.floatsPerImage = transforms.floatsPerImage();
    }

    /**
     * The image files under {@code dir} (recursively, hidden files skipped, sorted by path) prepared for {@code spec}.
     *
     * @throws GraftException if the folder is missing or holds no images, or the model is not a 3-channel one
     */
    public static ImageBatches of(Path dir, InputSpec spec) {
        if (!Files.isDirectory(dir)) {
            throw new GraftException("--images " + dir + (Files.exists(dir) ? " is not a folder" : " does not exist"));
        }
        if (spec.channels() != 3 || spec.mean().size() != 3 || spec.std().size() != 3) {
            throw new GraftException("end-to-end timing needs a 3-channel RGB model; this one takes " + spec.channels()
                + " channels");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).filter(ImageBatches::isImage).sorted().toList();
        } catch (IOException e) {
            throw new GraftException("cannot list " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new GraftException("--images " + dir + " holds no .jpg, .jpeg, .png, .bmp or .gif files");
        }
        Normalization norm = new Normalization(floats(spec.mean()), floats(spec.std()));
        ImageTransforms t = new ImageTransforms(AugmentConfig.defaults().withSize(spec.height(), spec.width()), norm);
        return new ImageBatches(files, t);
    }

    private static boolean isImage(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return !name.startsWith(".") && dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static float[] floats(List<Double> values) {
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = values.get(i).floatValue();
        }
        return f;
    }

    /** How many image files there are. */
    public int count() {
        return files.size();
    }

    /** Reads, decodes and transforms the next {@code n} images into {@code dst} as NCHW. */
    public void fill(float[] dst, int n) {
        for (int i = 0; i < n; i++) {
            Path file = files.get(next);
            next = (next + 1) % files.size();
            transforms.valid(ImageDecoder.decode(file), dst, i * floatsPerImage);
        }
    }
}
