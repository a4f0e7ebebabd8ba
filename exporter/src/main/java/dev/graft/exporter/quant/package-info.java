/**
 * Lower-precision exports: calibrated static int8 in ONNX's QDQ form and float16, each made from the proven float32
 * graph, and the report of what each costs in accuracy and buys in size and speed.
 *
 * <p>{@link dev.graft.exporter.quant.QdqQuantizer} calibrates on {@link dev.graft.exporter.quant.CalibrationData}
 * (usually an {@link dev.graft.exporter.quant.ImageFolder} read through the model's own
 * {@link dev.graft.exporter.quant.ImagePreprocessor}), following the layout that ONNX Runtime turns into integer kernels
 * on x86: uint8 activations, int8 per-channel weights, ReLUs folded into the quantisation.
 * {@link dev.graft.exporter.quant.Fp16Converter} halves the weights for GPUs. {@link dev.graft.exporter.quant.PrecisionReport}
 * measures either against the float32 model. Nothing here depends on the training engine: calibration runs the exported
 * graph itself in ONNX Runtime.
 */
package dev.graft.exporter.quant;
