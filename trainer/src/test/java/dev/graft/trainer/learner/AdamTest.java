package dev.graft.trainer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adam steps on tiny parameters against fastai's formulas evaluated by hand in double precision, through both update
 * paths: the fused pass over CPU memory ({@code cpu} true) and the engine's update that GPUs use.
 */
class AdamTest {

    @ParameterizedTest(name = "cpu update {0}")
    @ValueSource(booleans = {true, false})
    void twoStepsFollowFastaiFormulas(boolean cpu) {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] w0 = {0.5f, -1.0f, 2.0f};
            float[] c = {0.3f, -0.7f, 1.1f};
            Parameter weight = tiny(m, "w", w0);
            Parameter bias = tiny(m, "b", w0);
            Adam adam = new Adam(0.99, 1e-5, 0.01, cpu);
            adam.add(weight, 0, true);
            adam.add(bias, 0, false);
            double[] lr = {0.1};
            double[][] moms = {{0.9}, {0.8}};
            double[] w = toDouble(w0);
            double[] b = toDouble(w0);
            double[] ga = new double[3], sa = new double[3], gb = new double[3], sb = new double[3];
            for (int step = 1; step <= 2; step++) {
                double mom = moms[step - 1][0];
                // loss = sum(c * p) + sum(p^2): gradient c + 2 p
                double[] gradW = new double[3];
                double[] gradB = new double[3];
                for (int i = 0; i < 3; i++) {
                    gradW[i] = c[i] + 2 * w[i];
                    gradB[i] = c[i] + 2 * b[i];
                }
                try (GradientCollector gc = Engine.getInstance().newGradientCollector();
                     NDManager sub = m.newSubManager()) {
                    NDArray cc = sub.create(c);
                    NDArray loss = weight.getArray().mul(cc).sum().add(weight.getArray().square().sum())
                        .add(bias.getArray().mul(cc).sum()).add(bias.getArray().square().sum());
                    gc.backward(loss);
                }
                adam.step(lr, moms[step - 1]);
                w = expected(w, gradW, ga, sa, step, 0.1, mom, true);
                b = expected(b, gradB, gb, sb, step, 0.1, mom, false);
                float[] gotW = weight.getArray().toFloatArray();
                float[] gotB = bias.getArray().toFloatArray();
                for (int i = 0; i < 3; i++) {
                    assertThat((double) gotW[i]).isCloseTo(w[i], within(1e-6));
                    assertThat((double) gotB[i]).isCloseTo(b[i], within(1e-6));
                }
            }
            assertThat(weight.getArray().toFloatArray()).isNotEqualTo(bias.getArray().toFloatArray());
            assertThat(weight.getArray().getGradient().toFloatArray()).containsOnly(0f);
            assertThat(bias.getArray().getGradient().toFloatArray()).containsOnly(0f);
        }
    }

    /**
     * Gradients near eps, where eps's place in the formula decides the step: fastai adds eps to the debiased root,
     * so the fused update must be handed eps scaled by the debiasing (an unscaled eps moves these weights several times less).
     */
    @ParameterizedTest(name = "cpu update {0}")
    @ValueSource(booleans = {true, false})
    void tinyGradientsMeetEpsWhereFastaiPutsIt(boolean cpu) {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] w0 = {0.5f, -1.0f, 2.0f};
            float[] c = {3e-6f, -7e-6f, 1.1e-5f};
            Parameter weight = tiny(m, "w", w0);
            Adam adam = new Adam(0.99, 1e-5, 0, cpu);
            adam.add(weight, 0, false);
            double[] w = toDouble(w0);
            double[] ga = new double[3], sa = new double[3];
            for (int step = 1; step <= 3; step++) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector();
                     NDManager sub = m.newSubManager()) {
                    gc.backward(weight.getArray().mul(sub.create(c)).sum());
                }
                adam.step(new double[] {0.1}, new double[] {0.9});
                w = expected(w, toDouble(c), ga, sa, step, 0.1, 0.9, false);
                float[] got = weight.getArray().toFloatArray();
                for (int i = 0; i < 3; i++) {
                    assertThat((double) got[i]).isCloseTo(w[i], within(1e-6));
                }
            }
        }
    }

    @ParameterizedTest(name = "cpu update {0}")
    @ValueSource(booleans = {true, false})
    void frozenParametersAreLeftBitIdentical(boolean cpu) {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] w0 = {0.5f, -1.0f, 2.0f};
            Parameter weight = tiny(m, "w", w0);
            Adam adam = new Adam(Adam.SQR_MOM, Adam.EPS, Adam.WD, cpu);
            adam.add(weight, 0, true);
            weight.freeze(true);
            adam.step(new double[] {1.0}, new double[] {0.9});
            assertThat(weight.getArray().toFloatArray()).containsExactly(w0);
        }
    }

    /**
     * Parameters several blocks long (the CPU update splits them into blocks run on all cores, the last one partial)
     * take the same steps on both paths, gradients zeroed, over a changing momentum and learning rate per group.
     */
    @Test
    void cpuUpdateMatchesTheEngineUpdateAcrossBlocks() {
        try (NDManager m = NDManager.newBaseManager()) {
            int[] sizes = {3 * Adam.BLOCK + 123, 7, Adam.BLOCK};
            List<Parameter> onCpu = new ArrayList<>();
            List<Parameter> onEngine = new ArrayList<>();
            Adam cpu = new Adam(0.99, 1e-5, 0.01, true);
            Adam engine = new Adam(0.99, 1e-5, 0.01, false);
            m.getEngine().setRandomSeed(3);
            float[] initial = null;
            for (int i = 0; i < sizes.length; i++) {
                float[] values = m.randomNormal(new Shape(sizes[i])).toFloatArray();
                initial = i == 0 ? values : initial;
                Parameter a = tiny(m, "a" + i, values);
                Parameter b = tiny(m, "b" + i, values);
                cpu.add(a, i % 2, i != 1);
                engine.add(b, i % 2, i != 1);
                onCpu.add(a);
                onEngine.add(b);
            }
            for (int step = 0; step < 4; step++) {
                try (NDManager sub = m.newSubManager()) {
                    for (int i = 0; i < sizes.length; i++) {
                        NDArray c = sub.randomNormal(new Shape(sizes[i]));
                        for (List<Parameter> side : List.of(onCpu, onEngine)) {
                            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                                NDArray p = side.get(i).getArray();
                                gc.backward(p.mul(c).sum().add(p.square().sum().mul(0.1)));
                            }
                        }
                    }
                }
                double[] lr = {1e-3 * (step + 1), 3e-3};
                double[] mom = {0.95 - 0.05 * step, 0.9};
                cpu.step(lr, mom);
                engine.step(lr, mom);
                for (int i = 0; i < sizes.length; i++) {
                    float[] got = onCpu.get(i).getArray().toFloatArray();
                    float[] want = onEngine.get(i).getArray().toFloatArray();
                    for (int k = 0; k < got.length; k++) {
                        assertThat(got[k]).as("parameter %d element %d step %d", i, k, step)
                            .isCloseTo(want[k], within(2e-6f + 1e-6f * Math.abs(want[k])));
                    }
                    assertThat(onCpu.get(i).getArray().getGradient().toFloatArray()).containsOnly(0f);
                }
            }
            assertThat(onCpu.get(0).getArray().toFloatArray()).as("the steps moved the weights")
                .isNotEqualTo(initial);
        }
    }

    /** A state taken after some steps and restored into a fresh optimiser over the same weights continues exactly. */
    @ParameterizedTest(name = "cpu update {0}")
    @ValueSource(booleans = {true, false})
    void aRestoredStateContinuesBitIdentically(boolean cpu) {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] w0 = {0.5f, -1.0f, 2.0f, 0.25f};
            Parameter a = tiny(m, "a", w0);
            Parameter frozen = tiny(m, "f", w0);
            frozen.freeze(true);
            Adam first = new Adam(0.99, 1e-5, 0.01, cpu);
            first.add(a, 0, true);
            first.add(frozen, 0, true);
            double[][] moms = {{0.95}, {0.9}, {0.85}};
            for (int step = 0; step < 2; step++) {
                quadraticStep(m, a, first, moms[step]);
            }
            List<Adam.SlotState> saved = first.state();
            assertThat(saved.get(0).step()).isEqualTo(2);
            assertThat(saved.get(1).step()).isZero();
            assertThat(saved.get(1).gradAvg()).isNull();
            Parameter b = tiny(m, "b", a.getArray().toFloatArray());
            Parameter frozenB = tiny(m, "g", w0);
            frozenB.freeze(true);
            Adam second = new Adam(0.99, 1e-5, 0.01, cpu);
            second.add(b, 0, true);
            second.add(frozenB, 0, true);
            second.restore(saved);
            assertThat(second.state().get(0).gradAvg()).containsExactly(saved.get(0).gradAvg());
            quadraticStep(m, a, first, moms[2]);
            quadraticStep(m, b, second, moms[2]);
            assertThat(b.getArray().toFloatArray()).containsExactly(a.getArray().toFloatArray());
            assertThat(second.state().get(0).sqrAvg()).containsExactly(first.state().get(0).sqrAvg());
            assertThat(second.state().get(0).step()).isEqualTo(3);
        }
    }

    /** One step on loss = sum(p^2) + sum(p). */
    private static void quadraticStep(NDManager m, Parameter p, Adam adam, double[] mom) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector(); NDManager sub = m.newSubManager()) {
            gc.backward(p.getArray().square().sum().add(p.getArray().sum()));
        }
        adam.step(new double[] {0.1}, mom);
    }

    private static double[] expected(double[] p, double[] grad, double[] gradAvg, double[] sqrAvg, int step,
                                     double lr, double mom, boolean decay) {
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            double v = decay ? p[i] * (1 - lr * 0.01) : p[i];
            gradAvg[i] = mom * gradAvg[i] + (1 - mom) * grad[i];
            sqrAvg[i] = 0.99 * sqrAvg[i] + 0.01 * grad[i] * grad[i];
            double d1 = 1 - Math.pow(mom, step);
            double d2 = 1 - Math.pow(0.99, step);
            out[i] = v - lr * (gradAvg[i] / d1) / (Math.sqrt(sqrAvg[i] / d2) + 1e-5);
        }
        return out;
    }

    private static Parameter tiny(NDManager m, String name, float[] values) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
        NDArray a = m.create(values);
        a.setRequiresGradient(true);
        p.setArray(a);
        return p;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
