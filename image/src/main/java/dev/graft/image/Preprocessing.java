package dev.graft.image;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything that turns an image into a model's input: the training size, the resize method, the channel order and
 * the per-channel statistics. An exported model carries it in its ONNX metadata under the {@code graft.input.*} keys
 * below, so that every reader of the file (the runtime, the exporter's calibration, another language) preprocesses
 * the way the model was trained.
 *
 * @param height the model's input height
 * @param width the model's input width
 * @param resize how an image of another shape is brought to {@code height x width}
 * @param channels one letter per model input channel, in order: {@code R}, {@code G}, {@code B}, {@code A}, {@code L}
 * @param mean per-channel mean of pixel values scaled to [0, 1]
 * @param std per-channel standard deviation
 */
public record Preprocessing(int height, int width, ResizeMethod resize, String channels, float[] mean, float[] std) {
    /** Training image size, {@code height,width}. */
    public static final String INPUT_SIZE = "graft.input.size";
    /** {@code crop}, {@code squish} or {@code pad}. */
    public static final String INPUT_RESIZE = "graft.input.resize";
    /** Per-channel mean, comma-separated, for pixels scaled to [0, 1]. */
    public static final String INPUT_MEAN = "graft.input.mean";
    /** Per-channel standard deviation, comma-separated. */
    public static final String INPUT_STD = "graft.input.std";
    /** One letter per input channel: {@code RGB}, {@code BGR}, {@code L}. */
    public static final String INPUT_CHANNELS = "graft.input.channels";

    /** ImageNet's mean, fastai's {@code imagenet_stats}. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    /** ImageNet's standard deviation, fastai's {@code imagenet_stats}. */
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /**
     * @throws ImageException if a size is not positive, a channel letter is unknown or the statistics do not match
     */
    public Preprocessing {
        channels = channels.toUpperCase(Locale.ROOT);
        mean = mean.clone();
        std = std.clone();
        // the checks live in one place: the preprocessor these settings make
        new Preprocessor(height, width, resize, channels, mean, std);
    }

    /** The same settings with the statistics as lists of numbers, as options and JSON hold them. */
    public static Preprocessing of(int height, int width, ResizeMethod resize, String channels,
            List<? extends Number> mean, List<? extends Number> std) {
        return new Preprocessing(height, width, resize, channels, floats(mean), floats(std));
    }

    private static float[] floats(List<? extends Number> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    /** fastai's validation transform at {@code height x width}: centre crop, RGB, ImageNet statistics. */
    public static Preprocessing imagenet(int height, int width) {
        return new Preprocessing(height, width, ResizeMethod.CROP, "RGB", IMAGENET_MEAN, IMAGENET_STD);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** The preprocessor these settings describe. */
    public Preprocessor preprocessor() {
        return new Preprocessor(height, width, resize, channels, mean, std);
    }

    /** The five {@code graft.input.*} entries, in the form {@link #fromMetadata} reads. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(INPUT_SIZE, height + "," + width);
        m.put(INPUT_RESIZE, resize.metadataValue());
        m.put(INPUT_MEAN, join(mean));
        m.put(INPUT_STD, join(std));
        m.put(INPUT_CHANNELS, channels);
        return m;
    }

    /**
     * The preprocessing a model's metadata prescribes; every key must be present.
     *
     * @throws ImageException if a key is missing or malformed
     */
    public static Preprocessing fromMetadata(Map<String, String> metadata) {
        try {
            String[] size = require(metadata, INPUT_SIZE).split(",");
            if (size.length != 2) {
                throw new ImageException(INPUT_SIZE + " must be height,width, not '" + metadata.get(INPUT_SIZE) + "'");
            }
            return new Preprocessing(Integer.parseInt(size[0].trim()), Integer.parseInt(size[1].trim()),
                    ResizeMethod.fromMetadata(require(metadata, INPUT_RESIZE)),
                    require(metadata, INPUT_CHANNELS), numbers(require(metadata, INPUT_MEAN)),
                    numbers(require(metadata, INPUT_STD)));
        } catch (NumberFormatException e) {
            throw new ImageException("the model's preprocessing metadata is malformed: " + e.getMessage(), e);
        }
    }

    private static String require(Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        if (v == null) {
            throw new ImageException("the model has no " + key + " metadata; it is not a Graft export");
        }
        return v;
    }

    private static float[] numbers(String csv) {
        String[] parts = csv.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Float.parseFloat(parts[i].trim());
        }
        return out;
    }

    private static String join(float[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(values[i]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && height == p.height && width == p.width && resize == p.resize
                && channels.equals(p.channels) && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return ((31 * height + width) * 31 + resize.hashCode()) * 31 + channels.hashCode() + Arrays.hashCode(mean)
                + 7 * Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Preprocessing[" + height + "x" + width + ", " + resize.metadataValue() + ", " + channels + ", mean "
                + Arrays.toString(mean) + ", std " + Arrays.toString(std) + "]";
    }
}
