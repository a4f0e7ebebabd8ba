package dev.graft.benchmarks.input;

import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Preprocessing;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the model is fed: channels, size, and how images become that (resize method and normalisation).
 *
 * <p>Resolved once per run so that every engine is fed the same shape: an explicit size wins, then the ONNX graph's
 * fixed dimensions, then the model's {@code graft.input.size} metadata, then the checkpoint's, then 224 x 224.
 *
 * @param channels input channels
 * @param height input height
 * @param width input width
 * @param resize {@code crop}, {@code squish} or {@code pad}
 * @param mean per-channel mean
 * @param std per-channel standard deviation
 */
public record InputSpec(int channels, int height, int width, String resize, List<Double> mean, List<Double> std) {
    public InputSpec {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }

    /** Floats one image takes. */
    public int floatsPerImage() {
        return channels * height * width;
    }

    /**
     * Resolves the input of a run.
     *
     * @param model the ONNX model
     * @param checkpoint the checkpoint's preprocessing, or null
     * @param size an explicit {height, width}, or null
     */
    public static InputSpec resolve(ModelFile model, Preprocessing checkpoint, int[] size) {
        Map<String, String> meta = model.metadata();
        long[] shape = model.inputShape();
        int channels = shape[1] > 0 ? (int) shape[1] : meta.containsKey("graft.input.channels")
            ? meta.get("graft.input.channels").length() : 3;
        int h;
        int w;
        int[] fromMeta = parseSize(meta.get("graft.input.size"));
        if (size != null) {
            h = size[0];
            w = size[1];
            if ((shape[2] > 0 && shape[2] != h) || (shape[3] > 0 && shape[3] != w)) {
                throw new GraftException("the model takes " + shape[2] + "x" + shape[3] + " inputs only, not " + h + "x" + w);
            }
        } else if (shape[2] > 0 && shape[3] > 0) {
            h = (int) shape[2];
            w = (int) shape[3];
        } else if (fromMeta != null) {
            h = fromMeta[0];
            w = fromMeta[1];
        } else if (checkpoint != null) {
            h = checkpoint.height();
            w = checkpoint.width();
        } else {
            h = 224;
            w = 224;
        }
        String resize = meta.getOrDefault("graft.input.resize", checkpoint != null ? checkpoint.resize() : "crop");
        List<Double> mean = parseList(meta.get("graft.input.mean"));
        List<Double> std = parseList(meta.get("graft.input.std"));
        if (mean == null) {
            mean = checkpoint != null ? checkpoint.mean() : Preprocessing.IMAGENET_MEAN;
        }
        if (std == null) {
            std = checkpoint != null ? checkpoint.std() : Preprocessing.IMAGENET_STD;
        }
        return new InputSpec(channels, h, w, resize.toLowerCase(Locale.ROOT), mean, std);
    }

    private static int[] parseSize(String text) {
        if (text == null) {
            return null;
        }
        String[] f = text.split(",");
        try {
            return f.length == 2 ? new int[] {Integer.parseInt(f[0].strip()), Integer.parseInt(f[1].strip())} : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static List<Double> parseList(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        List<Double> out = new ArrayList<>();
        try {
            for (String f : text.split(",")) {
                out.add(Double.parseDouble(f.strip()));
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return out;
    }
}
