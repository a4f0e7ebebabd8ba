/**
 * Graft's one image pipeline, shared by the trainer's validation, the exporter's int8 calibration and runtime-edge's
 * inference, so that a model sees the same numbers in all three: {@link dev.graft.image.ImageDecoder} (EXIF
 * orientation, grey, alpha, palette, 16-bit, CMYK/YCCK JPEGs; byte cap and pixel cap checked before decoding),
 * {@link dev.graft.image.Preprocessor} (crop, squish or pad; channel order; normalisation) and
 * {@link dev.graft.image.Preprocessing}, the settings and the ONNX metadata keys that carry them. JDK only, so the
 * runtime stays small.
 */
package dev.graft.image;
