/**
 * Image decoding and preprocessing for deployed models, kept in step with Graft's trainer so that a model sees the
 * same numbers in production as in validation: {@link dev.graft.edge.image.ImageDecoder} (EXIF orientation, grey,
 * alpha, 16-bit, CMYK/YCCK JPEGs, size checked from the header before decoding) and
 * {@link dev.graft.edge.image.Preprocessor} (crop, squish or pad; channel order; normalisation), both writing into
 * reusable buffers.
 */
package dev.graft.edge.image;
