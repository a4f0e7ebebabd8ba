package dev.graft.edge;

import dev.graft.image.ImageException;
import dev.graft.image.ResizeMethod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a model says about itself through its {@code graft.*} metadata, with every gap filled by a stated assumption.
 *
 * <p>An application must feed a model exactly as it was trained (size, resize method, normalisation, channel order) and
 * read its output the right way (argmax or threshold, which class is which). Graft's exporter writes all of that into
 * the file; this class reads it back. An ONNX file from elsewhere has none of it, and is still usable: the missing
 * values come from the graph's input shape where possible and from ImageNet conventions otherwise, and each guess is
 * listed in {@link #assumptions()} so that a caller can show it rather than produce quietly wrong answers.
 *
 * <p>Immutable.
 */
public final class ModelMetadata {
    /** ImageNet channel means (RGB): the convention of every torchvision body. */
    static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    /** ImageNet channel standard deviations (RGB). */
    static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    /** The size assumed when neither the metadata nor the graph gives one. */
    static final int DEFAULT_SIZE = 224;

    /** What the graph applies to produce its output, as far as is known. */
    enum Activation {
        SOFTMAX, SIGMOID, NONE, UNKNOWN
    }

    private final Map<String, String> graftKeys;
    private final Task task;
    private final Activation activation;
    private final float threshold;
    private final List<String> labels;
    private final int inputHeight;
    private final int inputWidth;
    private final ResizeMethod resize;
    private final float[] mean;
    private final float[] std;
    private final String channels;
    private final String precision;
    private final String arch;
    private final int numOutputs;
    private final List<String> assumptions;

    private ModelMetadata(Map<String, String> keys, long[] inputShape, long[] outputShape) {
        this.graftKeys = Collections.unmodifiableMap(keys);
        List<String> notes = new ArrayList<>();
        boolean none = keys.isEmpty();
        String format = keys.get(MetadataKeys.FORMAT);
        if (format != null && !format.trim().equals(MetadataKeys.FORMAT_VERSION)) {
            throw new EdgeException("the model's metadata is graft.format " + format.trim() + ", written by a newer Graft;"
                    + " this runtime reads format " + MetadataKeys.FORMAT_VERSION);
        }
        // Input size: metadata, else a fixed graph size, else 224.
        int[] hw = null;
        String size = keys.get(MetadataKeys.INPUT_SIZE);
        if (size != null) {
            hw = parseSize(size);
        } else if (inputShape != null && inputShape.length == 4 && inputShape[2] > 0 && inputShape[3] > 0) {
            hw = new int[] {(int) inputShape[2], (int) inputShape[3]};
            notes.add("input size " + hw[0] + "x" + hw[1] + " taken from the graph's input shape");
        } else {
            hw = new int[] {DEFAULT_SIZE, DEFAULT_SIZE};
            notes.add("input size assumed " + DEFAULT_SIZE + "x" + DEFAULT_SIZE);
        }
        this.inputHeight = hw[0];
        this.inputWidth = hw[1];
        int graphChannels = inputShape != null && inputShape.length == 4 && inputShape[1] > 0 ? (int) inputShape[1] : -1;
        String ch = keys.get(MetadataKeys.INPUT_CHANNELS);
        if (ch != null) {
            ch = ch.trim().toUpperCase(Locale.ROOT);
            if (ch.isEmpty() || !ch.chars().allMatch(Character::isLetter)) {
                throw new EdgeException("bad graft.input.channels '" + keys.get(MetadataKeys.INPUT_CHANNELS)
                        + "': one letter per channel, like RGB");
            }
        } else {
            ch = graphChannels == 1 ? "L" : "RGB";
            notes.add("channel order assumed " + ch);
        }
        if (graphChannels > 0 && graphChannels != ch.length()) {
            throw new EdgeException("the graph takes " + graphChannels + " input channel(s) but graft.input.channels is '"
                    + ch + "'");
        }
        this.channels = ch;
        this.mean = stats(keys, MetadataKeys.INPUT_MEAN, ch.length(), false, notes);
        this.std = stats(keys, MetadataKeys.INPUT_STD, ch.length(), true, notes);
        String resizeValue = keys.get(MetadataKeys.INPUT_RESIZE);
        if (resizeValue != null) {
            try {
                this.resize = ResizeMethod.fromMetadata(resizeValue);
            } catch (ImageException e) {
                throw new EdgeException(e.getMessage(), e);
            }
        } else {
            this.resize = ResizeMethod.CROP;
            notes.add("resize assumed crop (short side to size, centre cut)");
        }
        String taskValue = keys.get(MetadataKeys.TASK);
        if (taskValue != null) {
            this.task = Task.fromMetadata(taskValue);
        } else {
            this.task = Task.SINGLE_LABEL;
            notes.add("task assumed single-label");
        }
        String act = keys.get(MetadataKeys.ACTIVATION);
        if (act != null) {
            this.activation = switch (act.trim().toLowerCase(Locale.ROOT)) {
                case "softmax" -> Activation.SOFTMAX;
                case "sigmoid" -> Activation.SIGMOID;
                case "none" -> Activation.NONE;
                default -> throw new EdgeException("unknown graft.activation '" + act
                        + "'; expected softmax, sigmoid or none");
            };
        } else if (task == Task.REGRESSION) {
            this.activation = Activation.NONE;
        } else {
            this.activation = Activation.UNKNOWN;
            notes.add(task == Task.MULTI_LABEL
                    ? "output read as probabilities when within [0, 1], else a sigmoid is applied"
                    : "output read as probabilities when each row sums to 1, else a softmax is applied");
        }
        String thr = keys.get(MetadataKeys.THRESHOLD);
        float t = 0.5f;
        if (thr != null) {
            t = parseFloat(MetadataKeys.THRESHOLD, thr);
            if (!(t > 0 && t < 1)) {
                throw new EdgeException("bad graft.threshold '" + thr + "': must be between 0 and 1");
            }
        } else if (task == Task.MULTI_LABEL) {
            notes.add("multi-label threshold assumed 0.5");
        }
        this.threshold = t;
        int n = outputShape != null && outputShape.length == 2 && outputShape[1] > 0 ? (int) outputShape[1] : -1;
        String numValue = keys.get(MetadataKeys.NUM_CLASSES);
        if (numValue != null) {
            int declared = (int) parseFloat(MetadataKeys.NUM_CLASSES, numValue);
            if (n > 0 && declared != n) {
                throw new EdgeException("graft.num_classes says " + declared + " but the graph outputs " + n);
            }
            n = declared;
        }
        this.numOutputs = n;
        String labelValue = keys.get(MetadataKeys.LABELS);
        if (labelValue != null) {
            List<String> l = List.of(labelValue.split(MetadataKeys.LABEL_SEPARATOR, -1));
            if (n > 0 && l.size() != n) {
                throw new EdgeException("graft.labels has " + l.size() + " label(s) for " + n + " output(s)");
            }
            this.labels = l;
        } else {
            List<String> l = new ArrayList<>();
            for (int i = 0; i < Math.max(n, 0); i++) {
                l.add(Integer.toString(i));
            }
            this.labels = List.copyOf(l);
            if (task != Task.REGRESSION) {
                notes.add("no labels: classes are named by their index");
            }
        }
        String p = keys.get(MetadataKeys.PRECISION);
        this.precision = p == null ? "fp32" : p.trim();
        String a = keys.get(MetadataKeys.ARCH);
        this.arch = a == null ? "unknown" : a.trim();
        if (none) {
            notes.clear();
            notes.add("the model has no Graft metadata (graft.*): assuming " + (graphChannels == 1 ? "grey" : "RGB")
                    + " input at " + inputHeight + "x" + inputWidth
                    + (size == null && inputShape != null && inputShape.length == 4 && inputShape[2] > 0
                        ? " (from the graph)" : "")
                    + ", ImageNet mean/std, centre crop, single-label output read as probabilities when each row sums"
                    + " to 1, else a softmax is applied; classes named by index");
        }
        this.assumptions = List.copyOf(notes);
    }

    /**
     * Reads the {@code graft.*} entries of a model's custom metadata; other entries are ignored.
     *
     * @param custom the model's {@code metadata_props}
     * @param inputShape the graph input's shape ({@code -1} for symbolic dimensions), or null when unknown
     * @param outputShape the graph output's shape, or null when unknown
     * @throws EdgeException if a Graft value is malformed or contradicts the graph
     */
    public static ModelMetadata read(Map<String, String> custom, long[] inputShape, long[] outputShape) {
        Map<String, String> keys = new LinkedHashMap<>();
        custom.forEach((k, v) -> {
            if (k.startsWith(MetadataKeys.PREFIX)) {
                keys.put(k, v);
            }
        });
        return new ModelMetadata(keys, inputShape, outputShape);
    }

    private static int[] parseSize(String value) {
        String[] parts = value.split(",");
        try {
            if (parts.length == 2) {
                int h = Integer.parseInt(parts[0].trim());
                int w = Integer.parseInt(parts[1].trim());
                if (h > 0 && w > 0 && h <= 16384 && w <= 16384) {
                    return new int[] {h, w};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new EdgeException("bad graft.input.size '" + value + "': expected height,width");
    }

    private static float[] stats(Map<String, String> keys, String key, int count, boolean positive, List<String> notes) {
        String value = keys.get(key);
        if (value == null) {
            String what = key.equals(MetadataKeys.INPUT_MEAN) ? "mean" : "std";
            if (count == 3) {
                notes.add("normalisation " + what + " assumed ImageNet's");
                return (positive ? IMAGENET_STD : IMAGENET_MEAN).clone();
            }
            float[] plain = new float[count];
            java.util.Arrays.fill(plain, positive ? 1f : 0f);
            notes.add("normalisation " + what + " assumed " + (positive ? "1" : "0"));
            return plain;
        }
        String[] parts = value.split(",");
        if (parts.length != count) {
            throw new EdgeException("bad " + key + " '" + value + "': " + count + " value(s) expected, one per channel");
        }
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = parseFloat(key, parts[i]);
            if (!Float.isFinite(out[i]) || (positive && out[i] <= 0)) {
                throw new EdgeException("bad " + key + " '" + value + "': values must be finite"
                        + (positive ? " and positive" : ""));
            }
        }
        return out;
    }

    private static float parseFloat(String key, String value) {
        try {
            return Float.parseFloat(value.trim());
        } catch (NumberFormatException e) {
            throw new EdgeException("bad " + key + " '" + value + "': not a number");
        }
    }

    /** The {@code graft.*} entries exactly as stored, in file order. */
    public Map<String, String> graftKeys() {
        return graftKeys;
    }

    /** Whether the file carries any Graft metadata at all. */
    public boolean hasGraftMetadata() {
        return !graftKeys.isEmpty();
    }

    public Task task() {
        return task;
    }

    Activation activation() {
        return activation;
    }

    /** The activation the graph applies, {@code softmax}, {@code sigmoid}, {@code none}, or {@code unknown}. */
    public String activationName() {
        return activation.name().toLowerCase(Locale.ROOT);
    }

    /** The multi-label decision threshold (0.5 when the model gives none). */
    public float threshold() {
        return threshold;
    }

    /** Class names in output order; empty when neither the metadata nor the graph gives the output count. */
    public List<String> labels() {
        return labels;
    }

    public int inputHeight() {
        return inputHeight;
    }

    public int inputWidth() {
        return inputWidth;
    }

    public ResizeMethod resize() {
        return resize;
    }

    /** Per-channel mean (a copy). */
    public float[] mean() {
        return mean.clone();
    }

    /** Per-channel standard deviation (a copy). */
    public float[] std() {
        return std.clone();
    }

    /** One letter per input channel, e.g. {@code RGB}. */
    public String channels() {
        return channels;
    }

    /** {@code fp32} unless the model says otherwise. */
    public String precision() {
        return precision;
    }

    /** The body architecture, or {@code unknown}. */
    public String arch() {
        return arch;
    }

    /** Outputs per image, or -1 when the graph's output width is symbolic and the metadata does not say. */
    public int numOutputs() {
        return numOutputs;
    }

    /** What was assumed because the model did not say it; empty for a complete Graft export. */
    public List<String> assumptions() {
        return assumptions;
    }
}
