package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Param;
import dev.graft.models.weights.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The float64 model an export is proven against computes the same network as the float32 one, in float64: its outputs
 * are within float32 rounding of the float32 model's, and they are not float32 values widened.
 */
class InferenceModelFloat64Test {
    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v3_small", "convnext_tiny"})
    void theFloat64ModelComputesTheSameNetworkInDoublePrecision(String arch) {
        Network net = VisionModel.builder().setArch(arch).setClasses(4).build();
        Map<String, Tensor> weights = randomWeights(net, 5);
        int size = 48;
        float[] x = new float[2 * 3 * size * size];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        try (InferenceModel f32 = InferenceModel.load(net, weights, size, size);
             InferenceModel f64 = InferenceModel.loadFloat64(net, weights, size, size)) {
            float[] single = f32.forward(x, 2, 3, size, size);
            double[] dbl = f64.forwardFloat64(x, 2, 3, size, size);

            assertThat(f64.isFloat64()).isTrue();
            assertThat(dbl).hasSize(single.length);
            double scale = 0;
            double diff = 0;
            int notFloats = 0;
            for (int i = 0; i < dbl.length; i++) {
                scale = Math.max(scale, Math.abs(dbl[i]));
                diff = Math.max(diff, Math.abs(dbl[i] - single[i]));
                notFloats += (double) (float) dbl[i] != dbl[i] ? 1 : 0;
            }
            System.out.printf("%s: float32 vs float64 logits %.3g (largest %.3g)%n", arch, diff, scale);
            assertThat(diff).isGreaterThan(0).isLessThan(1e-4 * Math.max(1, scale));
            assertThat(notFloats).as("outputs that are not float32 values").isEqualTo(dbl.length);
            assertThat(f64.forward(x, 2, 3, size, size)).hasSize(single.length);
        }
    }

    /** Seeded weights with BatchNorm statistics away from the identity, so epsilon and the statistics matter. */
    private static Map<String, Tensor> randomWeights(Network net, long seed) {
        Random random = new Random(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Param> e : net.params().entrySet()) {
            long[] shape = e.getValue().shapeArray();
            int size = 1;
            for (long d : shape) {
                size *= (int) d;
            }
            float[] v = new float[size];
            String name = e.getKey();
            for (int i = 0; i < size; i++) {
                v[i] = name.endsWith("running_var") ? 0.05f + random.nextFloat()
                    : name.endsWith("running_mean") ? 0.3f * (float) random.nextGaussian()
                    : shape.length == 4 ? (float) (random.nextGaussian() * Math.sqrt(1.0 / (size / shape[0])))
                    : 0.1f * (float) random.nextGaussian() + (shape.length == 1 && name.endsWith(".weight") ? 1 : 0);
            }
            out.put(name, Tensor.ofFloats(shape, v));
        }
        return out;
    }
}
