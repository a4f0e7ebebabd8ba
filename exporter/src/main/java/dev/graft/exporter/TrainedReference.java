package dev.graft.exporter;

import java.util.Objects;

/**
 * The trained model as the export proof needs it: its forward pass as it runs (float32) and as its weights mean it
 * (float64), on the same inputs.
 *
 * <p>Two precisions because a float32 forward is not an exact oracle: a deep network amplifies float32 rounding, so two
 * correct float32 implementations (the trained engine and ONNX Runtime) can differ by 1e-3 on a resnet152's
 * probabilities while a wrong graph on a resnet18 may differ by less. The proof therefore compares the export with the
 * float64 forward, and measures how far the model's own float32 forward is from it on the same inputs (at the logits):
 * that distance is what float32 rounding alone does to this model, and it sets the allowance. Like {@link ReferenceForward}, both return
 * the network's own output (logits; a regression head's values); the proof applies the activation itself.
 */
public interface TrainedReference {
    /** The network in float32, as it was trained and as it runs. Row-major {@code [n, outputs]}. */
    float[] forwardFloat32(float[] nchw, int n, int c, int h, int w);

    /** The same network, weights widened exactly, computed in float64. Row-major {@code [n, outputs]}. */
    double[] forwardFloat64(float[] nchw, int n, int c, int h, int w);

    /** A float64 forward pass. */
    @FunctionalInterface
    interface Float64Forward {
        double[] forward(float[] nchw, int n, int c, int h, int w);
    }

    /** The two passes from two functions (typically the trained engine's model loaded in each precision). */
    static TrainedReference of(ReferenceForward float32, Float64Forward float64) {
        Objects.requireNonNull(float32, "float32");
        Objects.requireNonNull(float64, "float64");
        return new TrainedReference() {
            @Override
            public float[] forwardFloat32(float[] nchw, int n, int c, int h, int w) {
                return float32.forward(nchw, n, c, h, w);
            }

            @Override
            public double[] forwardFloat64(float[] nchw, int n, int c, int h, int w) {
                return float64.forward(nchw, n, c, h, w);
            }
        };
    }
}
