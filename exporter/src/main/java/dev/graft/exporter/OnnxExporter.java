package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.quant.Fp16Converter;
import dev.graft.exporter.quant.QdqQuantizer;
import dev.graft.exporter.quant.QuantProgress;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Turns a network spec and its weights into a self-describing ONNX classifier that any ONNX runtime can serve.
 *
 * <p>The graph is written from the spec, not traced from a framework, so it contains exactly what inference needs:
 * <ul>
 *   <li>Input {@code input} {@code [batch, C, height, width]} with batch, height and width symbolic: the body ends in
 *       global pooling ({@code GlobalMaxPool}/{@code GlobalAveragePool}), so one file serves every batch and image
 *       size. Output {@code probabilities} {@code [batch, n]}, after the task's activation; optionally {@code logits},
 *       the same tensor before it.</li>
 *   <li>With folding (the default) no BatchNormalization and no Dropout node remains (see
 *       {@link dev.graft.exporter.fold.FoldPlan} for where each BatchNorm goes), and Linear layers are single
 *       {@code Gemm} nodes, so a resnet18 with fastai's default head is 54 nodes. {@code optFold(false)} keeps every
 *       layer as its own node (BatchNormalization, Dropout in inference mode), for comparing layer by layer.</li>
 *   <li>fastai's SigmoidRange becomes Sigmoid, Mul and Add, with the range as constants.</li>
 *   <li>The mobile bodies' layers: grouped (depthwise) convolutions are {@code Conv} with {@code group}, their
 *       BatchNorms folded like any other; ReLU6 is {@code Clip(x, 0, 6)}; Hardsigmoid is {@code HardSigmoid} (alpha
 *       1/6, beta 1/2); Hardswish is {@code HardSwish} from opset 14 and {@code x * HardSigmoid(x)} before; SiLU is
 *       {@code x * Sigmoid(x)}; squeeze-and-excitation's channel scaling is a broadcasting {@code Mul}; stochastic
 *       depth, the identity at inference, writes no node.</li>
 * </ul>
 *
 * <p><b>Naming.</b> Every ONNX name leads back to the spec. A node is named after the spec node it computes
 * ({@code layer1.0.conv1}), helper nodes take a suffix ({@code head.0.max}, {@code head.0.avg}, {@code head.9.sigmoid},
 * {@code head.9.mul}). A tensor is named after the spec node whose output it carries: a convolution with its BatchNorm
 * folded in is the node {@code layer1.0.conv1} writing the tensor {@code layer1.0.bn1}. Initializers are the spec's
 * parameter names: a folded convolution keeps {@code layer1.0.conv1.weight} (now holding the folded weights) and gains
 * {@code layer1.0.conv1.bias}; a head Linear that absorbed the BatchNorm before it keeps {@code head.4.weight} and gains
 * {@code head.4.bias}; a BatchNorm kept as scale and shift has {@code <id>.scale} and {@code <id>.shift}. The network's
 * last tensor is {@code logits} (or {@code probabilities} when there is no activation), whatever spec node wrote it.
 *
 * <p>Everything an application needs to use the file is written as {@code graft.*} metadata; see {@link GraftMetadata}.
 */
public final class OnnxExporter {
    private OnnxExporter() {
    }

    /**
     * Builds the ONNX model in memory.
     *
     * @throws GraftException if a weight is missing, misshapen, NaN or infinite, or a layer cannot be exported
     */
    public static ModelProto export(ExportOptions options) {
        return export(options, QuantProgress.NONE);
    }

    /**
     * Builds the model in memory at the options' precision, telling {@code progress} how calibration goes.
     *
     * @throws GraftException if a weight is missing, misshapen, NaN or infinite, a layer cannot be exported, or
     *     calibration fails
     */
    public static ModelProto export(ExportOptions options, QuantProgress progress) {
        return lowerPrecision(exportFp32(options), options, progress);
    }

    /**
     * The float32 graph, whatever precision the options ask for: the form that is proven against the trained model
     * and that lower precisions are made from.
     */
    public static ModelProto exportFp32(ExportOptions options) {
        return NetworkTranslation.translate(options);
    }

    /**
     * The options' precision made from the float32 graph {@link #exportFp32} returned: itself for fp32, a
     * {@link Fp16Converter float16} copy, or a {@link QdqQuantizer calibrated int8} one.
     *
     * @throws GraftException if calibration fails (an unreadable image, a NaN activation)
     */
    public static ModelProto lowerPrecision(ModelProto fp32, ExportOptions options, QuantProgress progress) {
        return switch (options.precision()) {
            case FP32 -> fp32;
            case FP16 -> Fp16Converter.convert(fp32);
            case INT8 -> QdqQuantizer.quantize(fp32, options.calibration().orElseThrow(), options.calibrationMethod(),
                    options.quantizeHead(), progress);
        };
    }

    /**
     * Builds the model and writes it atomically to {@code out}, without a parity check; prefer
     * {@link ExportProof#exportVerified} where a reference forward pass is at hand.
     *
     * @return the model that was written
     * @throws GraftException if the export fails or the file cannot be written; then nothing is written
     */
    public static ModelProto exportTo(ExportOptions options, Path out) {
        ModelProto model = export(options);
        OnnxFiles.writeAtomically(model, out);
        return model;
    }

    /** How many nodes of each {@code op_type} the graph has, in order of first appearance. */
    public static Map<String, Integer> opHistogram(ModelProto model) {
        return OnnxFiles.opHistogram(model);
    }

    /** The {@code metadata_props} of a model as a map, in file order. */
    public static Map<String, String> metadata(ModelProto model) {
        return OnnxFiles.metadata(model);
    }
}
