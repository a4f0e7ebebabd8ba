package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * fastai's {@code _update_first_layer} for a first convolution with a bias (VGG, AlexNet): the pretrained weight is
 * adapted to n_in channels, the bias is the new {@code nn.Conv2d}'s own, PyTorch's default initialisation.
 */
class FirstConvBiasTest {

    private static Map<String, Tensor> body(Network net, long seed) {
        Map<String, Tensor> all = Initializer.init(net, seed);
        Map<String, Tensor> body = new LinkedHashMap<>();
        for (Node n : net.bodyNodes()) {
            for (Param p : n.layer().params()) {
                body.put(n.paramName(p), all.get(n.paramName(p)));
            }
        }
        return body;
    }

    @Test
    void aPretrainedBiasIsNotCarriedIntoTheRebuiltConvolution() {
        Map<String, Tensor> rgb = body(VisionModel.builder().setArch("vgg11_bn").setClasses(3).build(), 1);
        rgb.put("features.0.bias", Tensor.ofFloats(new long[] {64}, filled(64, 5f)));
        Network gray = VisionModel.builder().setArch("vgg11_bn").setClasses(3).optInputChannels(1).build();

        WeightLoader.Loaded loaded = WeightLoader.load(gray, rgb, LoadMode.BODY);
        assertThat(loaded.firstConvAdapted()).isTrue();
        assertThat(loaded.tensors()).doesNotContainKey("features.0.bias").containsKey("features.4.bias");
        assertThat(loaded.ignored()).contains("features.0.bias");
        float[] w3 = rgb.get("features.0.weight").toFloatArray();
        float[] w1 = loaded.tensors().get("features.0.weight").toFloatArray();
        assertThat(w1[0]).isEqualTo(w3[0] + w3[9] + w3[18]);

        // what the layer keeps instead: uniform within 1 / sqrt(fan_in), fan_in = 1 * 3 * 3
        float[] fresh = Initializer.init(gray, 2).get("features.0.bias").toFloatArray();
        double max = 0;
        for (float v : fresh) {
            max = Math.max(max, Math.abs(v));
        }
        assertThat(max).isLessThanOrEqualTo(1 / 3.0).isGreaterThan(0.1);
        // with three channels nothing is rebuilt: torchvision's init, bias 0, and the file's bias loads
        Network rgbNet = VisionModel.builder().setArch("vgg11_bn").setClasses(3).build();
        assertThat(Initializer.init(rgbNet, 2).get("features.0.bias").toFloatArray()).containsOnly(0f);
        assertThat(WeightLoader.load(rgbNet, rgb, LoadMode.BODY).tensors().get("features.0.bias").toFloatArray())
            .containsOnly(5f);
    }

    @Test
    void aFileAlreadyForNInChannelsKeepsItsBias() {
        Network gray = VisionModel.builder().setArch("alexnet").setClasses(3).optInputChannels(1).build();
        Map<String, Tensor> own = body(gray, 3);
        WeightLoader.Loaded loaded = WeightLoader.load(gray, own, LoadMode.BODY);
        assertThat(loaded.firstConvAdapted()).isFalse();
        assertThat(loaded.tensors().get("features.0.bias").toFloatArray()).containsExactly(own.get("features.0.bias").toFloatArray());
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
