package dev.graft.edge;

import dev.graft.image.Preprocessing;

/**
 * The {@code graft.*} keys an exported model carries in its ONNX {@code metadata_props}, and the graph's tensor names.
 *
 * <p>These strings are Graft's file format. The exporter defines them ({@code dev.graft.exporter.onnx.GraftMetadata}); the
 * runtime repeats them because it must not depend on the exporter, and a test in this module checks that both lists
 * agree. Never rename one.
 */
public final class MetadataKeys {
    /** Prefix of every Graft key. */
    public static final String PREFIX = "graft.";
    /** The key-set version; this runtime reads {@value #FORMAT_VERSION}. */
    public static final String FORMAT = "graft.format";
    /** The newest {@link #FORMAT} this runtime understands. */
    public static final String FORMAT_VERSION = "1";
    /** {@code single_label}, {@code multi_label} or {@code regression}. */
    public static final String TASK = "graft.task";
    /** {@code softmax}, {@code sigmoid} or {@code none}: what the graph already applied. */
    public static final String ACTIVATION = "graft.activation";
    /** Multi-label decision threshold, e.g. {@code 0.5}. */
    public static final String THRESHOLD = "graft.threshold";
    /** Class names in output order, joined by {@link #LABEL_SEPARATOR}. */
    public static final String LABELS = "graft.labels";
    /** The separator of {@link #LABELS}. */
    public static final String LABEL_SEPARATOR = "\n";
    /** Training image size, {@code height,width}. */
    public static final String INPUT_SIZE = Preprocessing.INPUT_SIZE;
    /** {@code crop}, {@code squish} or {@code pad}. */
    public static final String INPUT_RESIZE = Preprocessing.INPUT_RESIZE;
    /** Per-channel mean, comma-separated, for pixels scaled to [0, 1]. */
    public static final String INPUT_MEAN = Preprocessing.INPUT_MEAN;
    /** Per-channel standard deviation, comma-separated. */
    public static final String INPUT_STD = Preprocessing.INPUT_STD;
    /** One letter per input channel: {@code RGB}, {@code BGR}, {@code L}. */
    public static final String INPUT_CHANNELS = Preprocessing.INPUT_CHANNELS;
    /** Precision of the graph's weights and compute: {@code fp32}, {@code fp16} or {@code int8}. */
    public static final String PRECISION = "graft.precision";
    /** For int8 models: a readable line on how the activations were calibrated. */
    public static final String QUANTIZATION = "graft.quantization";
    /** The body's architecture, e.g. {@code resnet34}. */
    public static final String ARCH = "graft.arch";
    /** Id of the body's last spec node. */
    public static final String BODY_END = "graft.body_end";
    /** Id of the head's first spec node. */
    public static final String HEAD_START = "graft.head_start";
    /** The Graft version that wrote the file. */
    public static final String VERSION = "graft.version";
    /** SHA-256 of the source checkpoint. */
    public static final String SOURCE = "graft.source";
    /** The graph's default-domain opset. */
    public static final String OPSET = "graft.opset";
    /** Outputs per image. */
    public static final String NUM_CLASSES = "graft.num_classes";
    /** The temperature folded before the softmax by {@code graft export --calibrate}; informational, the graph applies it. */
    public static final String TEMPERATURE = "graft.temperature";
    /** Expected calibration error on the calibration images before temperature scaling. */
    public static final String ECE_BEFORE = "graft.calibration.ece_before";
    /** Expected calibration error on the calibration images after temperature scaling. */
    public static final String ECE_AFTER = "graft.calibration.ece_after";
    /** How many labelled images the temperature was fitted on. */
    public static final String CALIBRATION_IMAGES = "graft.calibration.images";

    /** The graph input name Graft writes. */
    public static final String INPUT_NAME = "input";
    /** The graph output name Graft writes: after the activation. */
    public static final String OUTPUT_NAME = "probabilities";
    /** The optional output before the activation. */
    public static final String LOGITS_NAME = "logits";

    private MetadataKeys() {
    }
}
