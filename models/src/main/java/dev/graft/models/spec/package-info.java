/**
 * The network spec: {@link dev.graft.models.spec.Network}, its {@link dev.graft.models.spec.Node nodes} and
 * {@link dev.graft.models.spec.Layer layers}, shape inference, and the exact JSON form.
 *
 * <p>Whatever differs per layer kind goes through {@link dev.graft.models.spec.Layer.Visitor}, so a new kind does not
 * compile until every part of Graft handles it; which BatchNorm folds into the layer before it is decided here too
 * ({@link dev.graft.models.spec.Network#batchNormPairs()}), once for the trainer and the exporter.
 */
package dev.graft.models.spec;
