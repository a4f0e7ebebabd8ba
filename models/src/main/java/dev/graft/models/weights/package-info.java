/**
 * Weights on disk and in memory, in the safetensors format.
 *
 * <p>Safetensors is what PyTorch, fastai and the Hugging Face hub exchange, and unlike a pickle it cannot run code
 * when opened, so it is the one weight format Graft reads and writes. A file is an 8-byte little-endian header length,
 * a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data. Reading maps the
 * file instead of copying it, so a checkpoint costs no heap and opens instantly whatever its size; writing replaces the
 * target atomically, so an interrupted save never leaves a half-written checkpoint behind.
 */
package dev.graft.models.weights;
