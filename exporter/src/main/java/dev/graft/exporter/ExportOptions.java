package dev.graft.exporter;

import dev.graft.exporter.onnx.Precision;
import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.models.checkpoint.Task;

import dev.graft.exporter.onnx.OnnxOpset;
import dev.graft.exporter.quant.CalibrationData;
import dev.graft.exporter.quant.CalibrationMethod;
import dev.graft.exporter.quant.ImageFolder;
import dev.graft.exporter.quant.ImagePreprocessor;
import dev.graft.files.InputFiles;
import dev.graft.image.ImageException;
import dev.graft.image.Preprocessing;
import dev.graft.image.ResizeMethod;
import java.nio.file.Path;
import dev.graft.models.GraftException;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Shapes;
import dev.graft.models.weights.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one export needs, checked as a whole before any weight is touched.
 *
 * <p>Most of these settings do not change the graph at all: they are what a deployed application needs to feed and
 * read the model (image size, resize method, normalisation, labels), written into the file's metadata because the
 * training code will not be there to ask. Validating them in {@link Builder#build()} means a command line fails on a bad
 * option at once, not after a minute of folding weights.
 *
 * <p>Immutable. Required: {@link Builder#setNetwork} and {@link Builder#setWeights}; everything else has a default.
 */
public final class ExportOptions {
    /** The multi-label threshold written when none is given. */
    public static final double DEFAULT_THRESHOLD = 0.5;
    /** ImageNet's channel means (RGB), the statistics torchvision's pretrained bodies were trained with. */
    public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    /** ImageNet's channel standard deviations (RGB). */
    public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);
    /** The training size written when none is given: torchvision's and fastai's usual 224 x 224. */
    public static final int DEFAULT_SIZE = 224;

    private final Network network;
    private final Map<String, Tensor> weights;
    private final Task task;
    private final Activation activation;
    private final int opset;
    private final boolean withLogits;
    private final boolean fold;
    private final List<String> labels;
    private final boolean labelsGiven;
    private final int inputHeight;
    private final int inputWidth;
    private final ResizeMethod resize;
    private final List<Double> mean;
    private final List<Double> std;
    private final String channels;
    private final String sourceHash;
    private final double threshold;
    private final int numOutputs;
    private final Precision precision;
    private final Path calibrationImages;
    private final int calibrationCount;
    private final long maxImageBytes;
    private final CalibrationData calibration;
    private final CalibrationMethod calibrationMethod;
    private final boolean quantizeHead;
    private final double temperature;

    /** Checks every setting; touches no file ({@code folderCalibration} was read by {@link Builder#build}). */
    private ExportOptions(Builder b, CalibrationData folderCalibration) {
        if (b.network == null) {
            throw new GraftException("an export needs a network spec");
        }
        if (b.weights == null) {
            throw new GraftException("an export needs the network's weights");
        }
        this.network = b.network;
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(b.weights));
        this.task = Objects.requireNonNull(b.task, "task");
        this.activation = Objects.requireNonNull(b.activation, "activation");
        if (b.opset < OnnxOpset.MIN || b.opset > OnnxOpset.MAX) {
            throw new GraftException("ONNX opset " + b.opset + " is not supported; use " + OnnxOpset.MIN + " to "
                    + OnnxOpset.MAX);
        }
        this.opset = b.opset;
        this.withLogits = b.withLogits;
        this.fold = b.fold;
        if (b.inputHeight <= 0 || b.inputWidth <= 0) {
            throw new GraftException("the input size must be positive, not " + b.inputHeight + "x" + b.inputWidth);
        }
        this.inputHeight = b.inputHeight;
        this.inputWidth = b.inputWidth;
        this.resize = Objects.requireNonNull(b.resize, "resize");
        int c = network.inputChannels();
        this.channels = checkChannels(b.channels, c);
        this.mean = checkStats("mean", b.mean, c, false);
        this.std = checkStats("std", b.std, c, true);
        this.sourceHash = checkHash(b.sourceHash);
        if (!(b.threshold > 0 && b.threshold < 1)) {
            throw new GraftException("the multi-label threshold must be between 0 and 1 (exclusive), not " + b.threshold);
        }
        this.threshold = b.threshold;
        this.numOutputs = outputsOf(network, inputHeight, inputWidth);
        this.labelsGiven = b.labels != null;
        this.labels = checkLabels(b.labels, numOutputs);
        this.precision = Objects.requireNonNull(b.precision, "precision");
        this.calibrationMethod = Objects.requireNonNull(b.calibrationMethod, "calibrationMethod");
        this.quantizeHead = b.quantizeHead;
        this.calibrationImages = b.calibrationImages;
        this.calibrationCount = b.calibrationCount;
        this.maxImageBytes = b.maxImageBytes;
        this.calibration = checkCalibration(b, folderCalibration);
        this.temperature = checkTemperature(b.temperature, task, resolvedActivation());
    }

    private static double checkTemperature(double t, Task task, Activation activation) {
        if (Double.isNaN(t)) {
            return t;
        }
        if (!(t > 0) || Double.isInfinite(t)) {
            throw new GraftException("the temperature must be positive and finite, not " + t);
        }
        if (task != Task.SINGLE_LABEL || activation != Activation.SOFTMAX) {
            throw new GraftException("a temperature scales the logits before a softmax: it needs a single-label model"
                    + " exported with its softmax, not " + task.id() + " with " + activation.metadataValue());
        }
        return t;
    }

    /** The calibration set an int8 export needs, checked (folder listed, image sizes read) but not decoded yet. */
    private CalibrationData checkCalibration(Builder b, CalibrationData folderCalibration) {
        boolean given = b.calibrationImages != null || b.calibrationData != null;
        if (precision != Precision.INT8) {
            if (given || b.quantizeHead || b.calibrationCountGiven || b.calibrationMethodGiven) {
                throw new GraftException("calibration and head quantisation apply to int8 exports only; this export is "
                        + precision.metadataValue());
            }
            return null;
        }
        if (!b.fold) {
            throw new GraftException("int8 quantisation needs the folded graph (BatchNorm inside the convolutions);"
                    + " drop the no-fold option");
        }
        if (b.calibrationImages != null && b.calibrationData != null) {
            throw new GraftException("give calibration images or calibration data, not both");
        }
        if (!given) {
            throw new GraftException("an int8 export needs calibration images: a folder of images like those the model"
                    + " will see (the training images will do)");
        }
        if (b.calibrationData != null) {
            CalibrationData d = b.calibrationData;
            if (d.channels() != network.inputChannels()) {
                throw new GraftException("the calibration data have " + d.channels() + " channel(s) but the model reads "
                        + network.inputChannels());
            }
            if (d.size() < ImageFolder.MIN_CALIBRATION_IMAGES) {
                throw new GraftException("calibration needs at least " + ImageFolder.MIN_CALIBRATION_IMAGES
                        + " images, the calibration data hold " + d.size());
            }
            return d;
        }
        return folderCalibration;
    }

    /** The image preprocessing these options write into the model's metadata, as {@code graft.input.*}. */
    public Preprocessing preprocessing() {
        try {
            return Preprocessing.of(inputHeight, inputWidth, resize, channels, mean, std);
        } catch (ImageException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    /** Reads image files the way the exported model's runtime will, under {@link #maxImageBytes()}. */
    public ImagePreprocessor imagePreprocessor() {
        return ImagePreprocessor.of(preprocessing(), maxImageBytes);
    }

    /** A builder with every optional setting at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these options, to change one or two. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.network = network;
        b.weights = weights;
        b.task = task;
        b.activation = activation;
        b.opset = opset;
        b.withLogits = withLogits;
        b.fold = fold;
        b.labels = labelsGiven ? labels : null;
        b.inputHeight = inputHeight;
        b.inputWidth = inputWidth;
        b.resize = resize;
        b.mean = mean;
        b.std = std;
        b.channels = channels;
        b.sourceHash = sourceHash;
        b.threshold = threshold;
        b.temperature = temperature;
        b.precision = precision;
        b.calibrationImages = calibrationImages;
        b.calibrationCount = calibrationCount;
        b.maxImageBytes = maxImageBytes;
        b.calibrationData = calibrationImages == null ? calibration : null;
        b.calibrationMethod = calibrationMethod;
        b.quantizeHead = quantizeHead;
        b.calibrationCountGiven = false;
        b.calibrationMethodGiven = false;
        return b;
    }

    public Network network() {
        return network;
    }

    /** The tensors by Graft parameter name; extra entries (such as {@code num_batches_tracked}) are ignored. */
    public Map<String, Tensor> weights() {
        return weights;
    }

    public Task task() {
        return task;
    }

    /** The activation as asked for, possibly {@link Activation#AUTO}. */
    public Activation activation() {
        return activation;
    }

    /** The activation the graph gets: {@link Activation#AUTO} resolved through the task. */
    public Activation resolvedActivation() {
        return activation == Activation.AUTO ? Activation.defaultFor(task) : activation;
    }

    public int opset() {
        return opset;
    }

    /**
     * The temperature T the softmax divides the logits by (temperature scaling), when one was fitted; the
     * {@code logits} output stays the network's own.
     */
    public java.util.OptionalDouble temperature() {
        return Double.isNaN(temperature) ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(temperature);
    }

    /** Whether the graph has a second output, {@link GraftMetadata#LOGITS_NAME}. */
    public boolean withLogits() {
        return withLogits;
    }

    /** Whether BatchNorm and Dropout are folded away (the default) or kept layer for layer. */
    public boolean fold() {
        return fold;
    }

    /** The class names, one per output; {@code "0"} .. {@code "n-1"} when none were given. */
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

    public List<Double> mean() {
        return mean;
    }

    public List<Double> std() {
        return std;
    }

    public String channels() {
        return channels;
    }

    /** The checkpoint's SHA-256 in lowercase hex, if the caller gave it. */
    public Optional<String> sourceHash() {
        return Optional.ofNullable(sourceHash);
    }

    public double threshold() {
        return threshold;
    }

    /** The network's outputs per image (classes or regression targets). */
    public int numOutputs() {
        return numOutputs;
    }

    /** The precision of the exported graph; {@link Precision#FP32} by default. */
    public Precision precision() {
        return precision;
    }

    /** The calibration set of an int8 export (images listed and checked, not yet decoded); empty otherwise. */
    public Optional<CalibrationData> calibration() {
        return Optional.ofNullable(calibration);
    }

    /** The largest image file read for calibration or evaluation, in bytes. */
    public long maxImageBytes() {
        return maxImageBytes;
    }

    public CalibrationMethod calibrationMethod() {
        return calibrationMethod;
    }

    /** Whether an int8 export quantises the head's Linear layers too (by default they stay float32). */
    public boolean quantizeHead() {
        return quantizeHead;
    }

    private static int outputsOf(Network network, int h, int w) {
        Map<String, int[]> shapes = Shapes.infer(network, h, w);
        int[] out = shapes.get(network.output().id());
        if (out.length != 1) {
            throw new GraftException("cannot export " + network.arch() + ": its output is " + Shapes.fmt(out)
                    + " per image, not a vector of class scores; the network needs a head that pools and flattens");
        }
        return out[0];
    }

    private static String checkChannels(String channels, int count) {
        Objects.requireNonNull(channels, "channels");
        if (channels.length() != count || !channels.chars().allMatch(Character::isLetter)) {
            throw new GraftException("the input channel order must name " + count + " channel(s) with one letter each"
                    + " (like RGB), not '" + channels + "'");
        }
        return channels.toUpperCase(Locale.ROOT);
    }

    private static List<Double> checkStats(String what, List<Double> values, int count, boolean positive) {
        if (values == null) {
            if (count != IMAGENET_MEAN.size()) {
                throw new GraftException("the model reads " + count + " channel(s): give the normalisation " + what
                        + " for each (ImageNet's default has 3)");
            }
            return what.equals("mean") ? IMAGENET_MEAN : IMAGENET_STD;
        }
        if (values.size() != count) {
            throw new GraftException("the normalisation " + what + " has " + values.size() + " value(s) but the model reads "
                    + count + " channel(s)");
        }
        for (Double v : values) {
            if (v == null || !Double.isFinite(v) || (positive && v <= 0)) {
                throw new GraftException("the normalisation " + what + " must be finite" + (positive ? " and positive" : "")
                        + ", got " + values);
            }
        }
        return List.copyOf(values);
    }

    private static String checkHash(String hash) {
        if (hash == null) {
            return null;
        }
        String h = hash.toLowerCase(Locale.ROOT);
        if (!h.matches("[0-9a-f]{64}")) {
            throw new GraftException("the source hash must be a SHA-256 in hex (64 digits), not '" + hash + "'");
        }
        return h;
    }

    private static List<String> checkLabels(List<String> labels, int count) {
        if (labels == null) {
            List<String> numbers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                numbers.add(Integer.toString(i));
            }
            return List.copyOf(numbers);
        }
        if (labels.size() != count) {
            throw new GraftException(labels.size() + " label(s) given for a model with " + count + " output(s)");
        }
        for (String l : labels) {
            if (l == null || l.isEmpty() || l.contains(GraftMetadata.LABEL_SEPARATOR) || l.contains("\r")) {
                throw new GraftException("labels must be non-empty and on one line, got " + (l == null ? "null"
                        : "'" + l.replaceAll("[\\r\\n]", "\\\\n") + "'"));
            }
        }
        return List.copyOf(labels);
    }

    /** Collects settings; {@link #build()} checks them together. */
    public static final class Builder {
        private Network network;
        private Map<String, Tensor> weights;
        private Task task = Task.SINGLE_LABEL;
        private Activation activation = Activation.AUTO;
        private int opset = OnnxOpset.DEFAULT;
        private boolean withLogits;
        private boolean fold = true;
        private List<String> labels;
        private int inputHeight = DEFAULT_SIZE;
        private int inputWidth = DEFAULT_SIZE;
        private ResizeMethod resize = ResizeMethod.CROP;
        private List<Double> mean;
        private List<Double> std;
        private String channels = "RGB";
        private String sourceHash;
        private double threshold = DEFAULT_THRESHOLD;
        private Precision precision = Precision.FP32;
        private Path calibrationImages;
        private int calibrationCount = ImageFolder.DEFAULT_CALIBRATION_IMAGES;
        private long maxImageBytes = InputFiles.DEFAULT_MAX_IMAGE_BYTES;
        private boolean calibrationCountGiven;
        private CalibrationData calibrationData;
        private CalibrationMethod calibrationMethod = CalibrationMethod.DEFAULT;
        private boolean calibrationMethodGiven;
        private boolean quantizeHead;
        private double temperature = Double.NaN;

        private Builder() {
        }

        /** The network to export (required). */
        public Builder setNetwork(Network network) {
            this.network = network;
            return this;
        }

        /** Its weights by Graft parameter name, as {@code WeightLoader} returns them (required). */
        public Builder setWeights(Map<String, Tensor> weights) {
            this.weights = weights;
            return this;
        }

        public Builder optTask(Task task) {
            this.task = task;
            return this;
        }

        public Builder optActivation(Activation activation) {
            this.activation = activation;
            return this;
        }

        /** The ONNX opset, {@value OnnxOpset#MIN} to {@value OnnxOpset#MAX}; default {@value OnnxOpset#DEFAULT}. */
        public Builder optOpset(int opset) {
            this.opset = opset;
            return this;
        }

        public Builder optWithLogits(boolean withLogits) {
            this.withLogits = withLogits;
            return this;
        }

        /** {@code false} keeps BatchNormalization and Dropout nodes, for comparing layer by layer. */
        public Builder optFold(boolean fold) {
            this.fold = fold;
            return this;
        }

        public Builder optLabels(List<String> labels) {
            this.labels = labels == null ? null : new ArrayList<>(labels);
            return this;
        }

        /** The training image size, written to the metadata; the graph itself takes any size. */
        public Builder optInputSize(int height, int width) {
            this.inputHeight = height;
            this.inputWidth = width;
            return this;
        }

        public Builder optResize(ResizeMethod resize) {
            this.resize = resize;
            return this;
        }

        /** Per-channel normalisation mean; ImageNet's by default (3 channels only). */
        public Builder optMean(List<Double> mean) {
            this.mean = mean == null ? null : new ArrayList<>(mean);
            return this;
        }

        /** Per-channel normalisation standard deviation; ImageNet's by default (3 channels only). */
        public Builder optStd(List<Double> std) {
            this.std = std == null ? null : new ArrayList<>(std);
            return this;
        }

        /** The channel order, one letter per input channel; {@code RGB} by default. */
        public Builder optChannels(String channels) {
            this.channels = channels;
            return this;
        }

        /** SHA-256 (hex) of the checkpoint file the weights were read from. */
        public Builder optSourceHash(String sha256) {
            this.sourceHash = sha256;
            return this;
        }

        /** The multi-label decision threshold, written to the metadata of multi-label models. */
        public Builder optThreshold(double threshold) {
            this.threshold = threshold;
            return this;
        }

        /** The graph's precision; {@link Precision#INT8} needs calibration images or data. */
        public Builder optPrecision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /**
         * A folder of images to calibrate an int8 export on, searched recursively (a class-per-folder training set
         * works as it is); they are preprocessed as this export's metadata prescribes.
         */
        public Builder optCalibrationImages(Path dir) {
            this.calibrationImages = dir;
            return this;
        }

        /**
         * How many of the calibration images to use, drawn at random with a fixed seed; default
         * {@value ImageFolder#DEFAULT_CALIBRATION_IMAGES}. The folder must hold at least this many.
         */
        public Builder optCalibrationCount(int count) {
            this.calibrationCount = count;
            this.calibrationCountGiven = true;
            return this;
        }

        /**
         * The largest calibration or evaluation image file read, in bytes (default 64 MiB): a larger file, or one
         * that is not a regular file ({@code /dev/zero}, a FIFO), is refused before it is read.
         */
        public Builder optMaxImageBytes(long bytes) {
            if (bytes < 1 || bytes > InputFiles.MAX_CAP) {
                throw new GraftException("the image byte limit must be from 1 to " + InputFiles.MAX_CAP + ", not " + bytes);
            }
            this.maxImageBytes = bytes;
            return this;
        }

        /** Preprocessed calibration inputs, instead of a folder of images. */
        public Builder optCalibrationData(CalibrationData data) {
            this.calibrationData = data;
            return this;
        }

        /** How activation ranges are chosen; default {@link CalibrationMethod#DEFAULT}. */
        public Builder optCalibrationMethod(CalibrationMethod method) {
            this.calibrationMethod = method;
            this.calibrationMethodGiven = true;
            return this;
        }

        /**
         * Divide the logits by {@code t} before the softmax (a fitted temperature; single-label with softmax only),
         * recorded as {@link GraftMetadata#TEMPERATURE}.
         */
        public Builder optTemperature(double t) {
            this.temperature = t;
            return this;
        }

        /** Quantise the head's Linear layers too (int8 only). */
        public Builder optQuantizeHead(boolean quantizeHead) {
            this.quantizeHead = quantizeHead;
            return this;
        }

        /**
         * Checks the settings against each other and the network.
         *
         * @throws GraftException naming the first bad setting
         */
        public ExportOptions build() {
            ExportOptions checked = new ExportOptions(this, null);
            if (checked.precision != Precision.INT8 || calibrationImages == null) {
                return checked;
            }
            // the one step that reads the disk, after every other setting is known good: list the calibration folder
            // and read each chosen image's header, so that a bad folder fails before any export work
            CalibrationData folder = ImageFolder.calibration(calibrationImages, calibrationCount,
                    checked.imagePreprocessor());
            return new ExportOptions(this, folder);
        }
    }
}
