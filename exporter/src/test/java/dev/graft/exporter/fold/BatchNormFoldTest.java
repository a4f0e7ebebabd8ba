package dev.graft.exporter.fold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.models.GraftException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fold formulas against the layers they replace, evaluated directly on random vectors. */
class BatchNormFoldTest {
    private final Random random = new Random(42);

    private float[] uniform(int n, double low, double high) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (low + random.nextDouble() * (high - low));
        }
        return v;
    }

    private static double[] linear(double[] w, double[] b, double[] x, int out, int in) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            y[o] = b[o];
            for (int i = 0; i < in; i++) {
                y[o] += w[o * in + i] * x[i];
            }
        }
        return y;
    }

    private static double[] bn(double[] x, float[] g, float[] b, float[] m, float[] v, double eps) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - m[i]) / Math.sqrt(v[i] + eps) * g[i] + b[i];
        }
        return y;
    }

    @Test
    void foldingIntoOutputsEqualsLinearThenBatchNorm() {
        int out = 5;
        int in = 7;
        double[] w = BatchNormFold.toDoubles(uniform(out * in, -1, 1));
        double[] b = BatchNormFold.toDoubles(uniform(out, -1, 1));
        float[] g = uniform(out, 0.5, 1.5);
        float[] beta = uniform(out, -0.3, 0.3);
        float[] m = uniform(out, -1, 1);
        float[] v = uniform(out, 0.1, 3);
        double[] x = BatchNormFold.toDoubles(uniform(in, -2, 2));
        double[] expected = bn(linear(w, b, x, out, in), g, beta, m, v, 1e-3);

        BatchNormFold.intoOutputs(w, b, BatchNormFold.affine("bn", g, beta, m, v, 1e-3));

        assertThat(linear(w, b, x, out, in)).containsExactly(expected, within(1e-12));
    }

    @Test
    void foldingIntoInputsEqualsBatchNormThenLinear() {
        int out = 4;
        int in = 6;
        double[] w = BatchNormFold.toDoubles(uniform(out * in, -1, 1));
        double[] b = new double[out];
        float[] g = uniform(in, 0.5, 1.5);
        float[] beta = uniform(in, -0.3, 0.3);
        float[] m = uniform(in, -1, 1);
        float[] v = uniform(in, 0.1, 3);
        double[] x = BatchNormFold.toDoubles(uniform(in, -2, 2));
        double[] expected = linear(w, b, bn(x, g, beta, m, v, 1e-5), out, in);

        BatchNormFold.intoInputs(w, b, BatchNormFold.affine("bn", g, beta, m, v, 1e-5));

        assertThat(linear(w, b, x, out, in)).containsExactly(expected, within(1e-12));
    }

    @Test
    void convolutionWeightsScaleWholeOutputChannels() {
        double[] w = {1, 2, 3, 4, 5, 6, 7, 8}; // [2 out, 4 per output]
        double[] b = {0, 1};
        BatchNormFold.Affine a = new BatchNormFold.Affine(new double[] {2, -1}, new double[] {10, 20});
        BatchNormFold.intoOutputs(w, b, a);
        assertThat(w).containsExactly(2, 4, 6, 8, -5, -6, -7, -8);
        assertThat(b).containsExactly(10, 19);
    }

    @Test
    void negativeVarianceIsAUserError() {
        float[] one = {1};
        assertThatThrownBy(() -> BatchNormFold.affine("head.2", one, one, one, new float[] {-1}, 1e-5))
                .isInstanceOf(GraftException.class).hasMessageContaining("head.2.running_var[0]");
    }

    @Test
    void overflowOnRoundingIsAUserError() {
        assertThatThrownBy(() -> BatchNormFold.toFloats("conv1.weight", new double[] {1, 1e300}))
                .isInstanceOf(GraftException.class).hasMessageContaining("conv1.weight").hasMessageContaining("index 1");
    }
}
