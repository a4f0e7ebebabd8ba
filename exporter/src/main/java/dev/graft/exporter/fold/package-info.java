/**
 * Removing BatchNorm from an inference graph by folding it into neighbouring weights.
 *
 * <p>In evaluation mode a BatchNorm is a fixed per-channel affine map, {@code y = x * s + t}. Next to a convolution or a
 * linear layer (which are affine too) it can be merged into that layer's weights, so the exported graph has fewer nodes
 * and a runtime does less work, with the same numbers up to float rounding. {@link dev.graft.exporter.fold.FoldPlan}
 * decides, from the network's structure alone, where each BatchNorm goes; {@link dev.graft.exporter.fold.BatchNormFold}
 * does the arithmetic, in double precision.
 */
package dev.graft.exporter.fold;
