/**
 * The model drawing: a network spec as a self-contained SVG that opens in any browser.
 *
 * <p>It is drawn from {@link dev.graft.models.spec.Network} alone, never from engine blocks, so it shows exactly what
 * the trainer builds and the exporter writes: the body collapsed into its stages, the cut, the head layer by layer,
 * tensor shapes on the edges, parameter counts, layer groups and which parts are frozen.
 */
package dev.graft.models.draw;
