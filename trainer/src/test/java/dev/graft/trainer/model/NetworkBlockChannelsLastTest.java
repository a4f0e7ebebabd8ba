package dev.graft.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ConvNeXt's layer norm and per-pixel linear layers hand on arrays whose memory is channels-last (views of the
 * engine's [N, H, W, C] results). The layers after them must read them as [N, C, H, W] all the same, including the
 * max-pool that Graft runs in Java on the array's memory when no gradient is needed.
 */
class NetworkBlockChannelsLastTest {

    @Test
    void aMaxPoolAfterALayerNormReadsTheNormalisedValuesInOrder() {
        int c = 3;
        Network norm = Network.builder().inputChannels(c).add("ln", new Layer.LayerNorm2d(c, 1e-6))
            .group("all", "ln").build();
        Network pooled = Network.builder().inputChannels(c).add("ln", new Layer.LayerNorm2d(c, 1e-6))
            .add("pool", new Layer.MaxPool(2, 2, 0, false)).group("all", "ln", "pool").build();
        Map<String, Tensor> w = Map.of(
            "ln.weight", Tensor.ofFloats(new long[] {c}, new float[] {1, 2, -1}),
            "ln.bias", Tensor.ofFloats(new long[] {c}, new float[] {0, 0.5f, 1}));
        float[] x = new float[2 * c * 4 * 6];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] normalised = forward(norm, w, x);
        float[] max = forward(pooled, w, x);
        // the pool of the layer norm's output, computed here on the [N, C, H, W] values
        float[] expected = new float[2 * c * 2 * 3];
        for (int p = 0; p < 2 * c; p++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int a = 0; a < 2; a++) {
                        for (int b = 0; b < 2; b++) {
                            m = Math.max(m, normalised[p * 24 + (2 * i + a) * 6 + 2 * j + b]);
                        }
                    }
                    expected[p * 6 + i * 3 + j] = m;
                }
            }
        }
        assertThat(max).containsExactly(expected);
        // and the layer norm's output is normalised over the channels of each pixel (weight 1, bias 0 for channel 0)
        double mean = 0;
        for (int ch = 0; ch < c; ch++) {
            mean += (normalised[ch * 24] - w.get("ln.bias").toFloatArray()[ch]) / w.get("ln.weight").toFloatArray()[ch];
        }
        assertThat(Math.abs(mean)).isLessThan(1e-5);
    }

    private static float[] forward(Network net, Map<String, Tensor> w, float[] x) {
        NetworkBlock block = new NetworkBlock(net);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            block.initialize(manager, 4, 6, w);
            try (NDManager batch = manager.newSubManager()) {
                return block.forward(new ParameterStore(batch, false),
                    new NDList(batch.create(x, new Shape(2, 3, 4, 6))), false).singletonOrThrow().toFloatArray();
            }
        }
    }
}
