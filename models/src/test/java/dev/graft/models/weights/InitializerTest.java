package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Network;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InitializerTest {

    private static double std(float[] v) {
        double s = 0;
        double s2 = 0;
        for (float x : v) {
            s += x;
            s2 += x * x;
        }
        double m = s / v.length;
        return Math.sqrt(s2 / v.length - m * m);
    }

    @Test
    void headFollowsFastaisInitAndBodyTorchvisions() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3)
            .optHead(HeadOptions.builder().optBnFinal(true).build()).build();
        Map<String, Tensor> w = Initializer.init(net, 42);
        assertThat(w.keySet()).containsExactlyElementsOf(net.params().keySet());
        assertThat(w.get("head.2.weight").toFloatArray()).containsOnly(1f);
        assertThat(w.get("head.2.bias").toFloatArray()).containsOnly(1e-3f);
        assertThat(w.get("head.9.bias").toFloatArray()).containsOnly(0f); // bn_final is a plain nn.BatchNorm1d
        assertThat(w.get("head.2.running_var").toFloatArray()).containsOnly(1f);
        assertThat(std(w.get("head.4.weight").toFloatArray())).isCloseTo(Math.sqrt(2.0 / 1024), within(0.002));
        assertThat(w.get("bn1.bias").toFloatArray()).containsOnly(0f);
        // torchvision: kaiming normal, fan_out = 64 * 3 * 3
        assertThat(std(w.get("layer1.0.conv1.weight").toFloatArray())).isCloseTo(Math.sqrt(2.0 / 576), within(0.003));
    }

    @Test
    void seededAndDistinctPerSeed() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        assertThat(Initializer.init(net, 1)).isEqualTo(Initializer.init(net, 1));
        assertThat(Initializer.init(net, 1).get("head.4.weight")).isNotEqualTo(Initializer.init(net, 2).get("head.4.weight"));
        assertThat(Initializer.initHead(net, 1).keySet()).allMatch(k -> k.startsWith("head."));
    }
}
