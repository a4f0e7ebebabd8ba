package dev.graft.exporter.onnx;

import dev.graft.image.Preprocessing;
import java.util.List;

/**
 * The contract between an exported model and whatever runs it: the graph's tensor names and the
 * {@code metadata_props} keys Graft writes, with the format of each value.
 *
 * <p>A deployed model has to be usable without Graft's training code: an application must know how to resize and
 * normalise an image, which output to read, whether to take an argmax or apply a threshold, and what the classes are
 * called. All of that travels inside the {@code .onnx} file as flat string pairs under the {@code graft.} prefix, which
 * ONNX Runtime returns as custom metadata. The runtime module reads these keys but must not depend on the exporter, so it
 * repeats the strings; they are therefore part of Graft's file format. Never rename or repurpose a key: add a new one,
 * and raise {@link #FORMAT_VERSION} only for a change an old reader would misread.
 *
 * <p>Values are plain text. Lists of numbers are comma-separated without spaces, numbers printed by Java's
 * {@code Double.toString} (so {@code 0.485}, {@code 1.0E-4}).
 */
public final class GraftMetadata {
    /** Prefix of every key Graft writes; other keys in a model are not Graft's. */
    public static final String PREFIX = "graft.";

    /** The version of this key set; {@value #FORMAT_VERSION} for everything described here. */
    public static final String FORMAT = "graft.format";
    /** The value of {@link #FORMAT} this exporter writes. */
    public static final String FORMAT_VERSION = "1";

    /** {@code single_label}, {@code multi_label} or {@code regression}: how to read the output. */
    public static final String TASK = "graft.task";
    /** {@code softmax}, {@code sigmoid} or {@code none}: what the graph already applied to produce its output. */
    public static final String ACTIVATION = "graft.activation";
    /** Multi-label only: the probability from which a class counts as present, e.g. {@code 0.5}. */
    public static final String THRESHOLD = "graft.threshold";
    /** Class names in output order, joined by {@link #LABEL_SEPARATOR}; {@code 0}..{@code n-1} when none were given. */
    public static final String LABELS = "graft.labels";
    /** The separator of {@link #LABELS}: a line feed, which a label cannot contain. */
    public static final String LABEL_SEPARATOR = "\n";
    /** The image size the model was trained at, {@code height,width} in pixels (e.g. {@code 224,224}). */
    public static final String INPUT_SIZE = Preprocessing.INPUT_SIZE;
    /** How an image is brought to {@link #INPUT_SIZE}: {@code crop}, {@code squish} or {@code pad}. */
    public static final String INPUT_RESIZE = Preprocessing.INPUT_RESIZE;
    /** Per-channel mean subtracted after scaling pixels to [0, 1], e.g. {@code 0.485,0.456,0.406}. */
    public static final String INPUT_MEAN = Preprocessing.INPUT_MEAN;
    /** Per-channel standard deviation divided by after subtracting the mean, e.g. {@code 0.229,0.224,0.225}. */
    public static final String INPUT_STD = Preprocessing.INPUT_STD;
    /** The channel order of the input, one letter per channel: {@code RGB}, {@code BGR}, {@code L}. */
    public static final String INPUT_CHANNELS = Preprocessing.INPUT_CHANNELS;
    /**
     * The numeric precision of the graph: {@code fp32}; {@code fp16} (weights and compute in float16, casts at the
     * input and before the activation); or {@code int8} (QDQ: uint8 activations, int8 per-channel weights, integer
     * kernels at ONNX Runtime's optimisation level "all"). The input and outputs are float32 whatever the precision.
     * See {@link Precision}.
     */
    public static final String PRECISION = "graft.precision";
    /**
     * Int8 models only: how the model was quantised, for people (not parsed): encodings, calibration method and
     * images, whether the head is quantised, and which operators were.
     */
    public static final String QUANTIZATION = "graft.quantization";
    /** The architecture the body came from, e.g. {@code resnet34}, or {@code custom}. */
    public static final String ARCH = "graft.arch";
    /** The id of the body's last node in the network spec (the cut point). */
    public static final String BODY_END = "graft.body_end";
    /** The id of the head's first node in the network spec; empty when the network has no head. */
    public static final String HEAD_START = "graft.head_start";
    /** The Graft version that wrote the file. */
    public static final String VERSION = "graft.version";
    /** SHA-256 of the checkpoint the weights came from, 64 lowercase hex digits; absent when the caller gave none. */
    public static final String SOURCE = "graft.source";
    /** The default-domain ONNX opset of the graph, e.g. {@code 17}. */
    public static final String OPSET = "graft.opset";
    /** The number of outputs per image (classes, or regression targets). */
    public static final String NUM_CLASSES = "graft.num_classes";

    /**
     * The temperature T folded into the graph: the softmax reads logits / T (temperature scaling, fitted by
     * {@code graft export --calibrate}). Absent when none was fitted; the argmax is the same either way.
     */
    public static final String TEMPERATURE = "graft.temperature";
    /** Expected calibration error (15 bins) on the calibration images with T = 1. */
    public static final String ECE_BEFORE = "graft.calibration.ece_before";
    /** Expected calibration error on the calibration images with the fitted T. */
    public static final String ECE_AFTER = "graft.calibration.ece_after";
    /** How many labelled images T was fitted on. */
    public static final String CALIBRATION_IMAGES = "graft.calibration.images";

    /** Every key an fp32 export can carry, in the order the documentation lists them ({@link #QUANTIZATION} and the temperature keys aside). */
    public static final List<String> KEYS = List.of(FORMAT, TASK, ACTIVATION, THRESHOLD, LABELS, INPUT_SIZE,
            INPUT_RESIZE, INPUT_MEAN, INPUT_STD, INPUT_CHANNELS, PRECISION, ARCH, BODY_END, HEAD_START, VERSION, SOURCE,
            OPSET, NUM_CLASSES);

    /** The graph input: float32 {@code [batch, channels, height, width]}, already normalised. */
    public static final String INPUT_NAME = "input";
    /** The graph output: float32 {@code [batch, num_classes]} after {@link #ACTIVATION}. */
    public static final String OUTPUT_NAME = "probabilities";
    /** The optional second output: the same shape, before {@link #ACTIVATION}. */
    public static final String LOGITS_NAME = "logits";

    private GraftMetadata() {
    }
}
