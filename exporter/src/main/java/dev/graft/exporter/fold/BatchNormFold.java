package dev.graft.exporter.fold;

import dev.graft.models.GraftException;

/**
 * The arithmetic of folding: a BatchNorm as a per-channel scale and shift, merged into weights, all in double.
 *
 * <p>Folding rewrites every weight of a ResNet; doing it in float would add a rounding step per multiplication on top
 * of the one unavoidable rounding when the folded weight is stored. Working in double and rounding once keeps a folded
 * graph within float noise of the unfolded one, which is what the parity tests hold it to.
 */
public final class BatchNormFold {
    private BatchNormFold() {
    }

    /**
     * A BatchNorm in evaluation mode: {@code y = x * scale + shift}, per channel.
     *
     * @param scale {@code gamma / sqrt(var + eps)}
     * @param shift {@code beta - mean * scale}
     */
    public record Affine(double[] scale, double[] shift) {
        /** The number of channels. */
        public int channels() {
            return scale.length;
        }
    }

    /**
     * The affine map of a BatchNorm with these statistics.
     *
     * @param name the BatchNorm's node id, for messages
     * @throws GraftException if a running variance is so negative that {@code var + eps <= 0}
     */
    public static Affine affine(String name, float[] gamma, float[] beta, float[] mean, float[] var, double eps) {
        int c = gamma.length;
        if (beta.length != c || mean.length != c || var.length != c) {
            throw new IllegalArgumentException("BatchNorm " + name + " has tensors of different lengths");
        }
        double[] scale = new double[c];
        double[] shift = new double[c];
        for (int i = 0; i < c; i++) {
            double denominator = (double) var[i] + eps;
            if (!(denominator > 0)) {
                throw new GraftException("cannot fold BatchNorm " + name + ": " + name + ".running_var[" + i + "] is "
                        + var[i] + ", so var + eps is not positive");
            }
            scale[i] = gamma[i] / Math.sqrt(denominator);
            shift[i] = beta[i] - mean[i] * scale[i];
        }
        return new Affine(scale, shift);
    }

    /**
     * Merges a BatchNorm that reads a layer's output into that layer: each output channel's weights and bias are scaled,
     * and the shift is added to the bias. Works for any weight laid out {@code [out, ...]} (Conv2d, Linear).
     *
     * @param weight the layer's weights, {@code out} blocks of equal length; changed in place
     * @param bias the layer's bias, zeros if it had none; changed in place
     */
    public static void intoOutputs(double[] weight, double[] bias, Affine bn) {
        int out = bias.length;
        if (bn.channels() != out || weight.length % out != 0) {
            throw new IllegalArgumentException("BatchNorm of " + bn.channels() + " channels cannot fold into a layer with "
                    + out + " outputs");
        }
        int block = weight.length / out;
        for (int o = 0; o < out; o++) {
            double s = bn.scale()[o];
            for (int k = o * block, end = k + block; k < end; k++) {
                weight[k] *= s;
            }
            bias[o] = bias[o] * s + bn.shift()[o];
        }
    }

    /**
     * Merges a BatchNorm whose output a Linear reads into that Linear: {@code W (x s + t) + b = (W diag(s)) x + (W t +
     * b)}.
     *
     * @param weight the Linear's weights, {@code [out, in]} row-major; changed in place
     * @param bias the Linear's bias (length {@code out}), zeros if it had none; changed in place
     */
    public static void intoInputs(double[] weight, double[] bias, Affine bn) {
        int out = bias.length;
        int in = bn.channels();
        if (weight.length != (long) out * in) {
            throw new IllegalArgumentException("BatchNorm of " + in + " features cannot fold into a Linear of "
                    + weight.length + " weights and " + out + " outputs");
        }
        for (int o = 0; o < out; o++) {
            double sum = 0;
            int row = o * in;
            for (int i = 0; i < in; i++) {
                sum += weight[row + i] * bn.shift()[i];
                weight[row + i] *= bn.scale()[i];
            }
            bias[o] += sum;
        }
    }

    /** The values widened to double. */
    public static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /**
     * The values rounded to float, the one rounding a fold costs.
     *
     * @param name the tensor's name, for the message
     * @throws GraftException if a value is not finite in float (a fold that overflowed)
     */
    public static float[] toFloats(String name, double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
            if (!Float.isFinite(out[i])) {
                throw new GraftException("folding BatchNorm into " + name + " gives " + out[i] + " at index " + i
                        + "; check the BatchNorm's running statistics");
            }
        }
        return out;
    }
}
