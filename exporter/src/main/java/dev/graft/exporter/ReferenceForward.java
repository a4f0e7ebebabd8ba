package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;

/**
 * The model that was trained, run in its own engine, as the oracle an export is checked against.
 *
 * <p>The exporter must not depend on the training engine (DJL), so the check takes the engine's forward pass as a
 * function. It returns the <em>network's own output</em>: what the spec's last node computes, which for a fastai
 * classifier is the logits (a regression head's SigmoidRange included). The activation the export appended is
 * applied by {@link ExportProof} itself, in double precision, from the model's {@link GraftMetadata#ACTIVATION}; so an
 * implementation simply runs the trained block in inference mode and never needs to know the task.
 */
@FunctionalInterface
public interface ReferenceForward {
    /**
     * Runs the network in inference mode (BatchNorm on running statistics, no dropout).
     *
     * @param nchw the batch, row-major {@code [n, c, h, w]}, already normalised
     * @return the network's outputs, row-major {@code [n, outputs]}
     */
    float[] forward(float[] nchw, int n, int c, int h, int w);
}
