package dev.graft.models.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.arch.Architectures;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkJsonTest {

    @Test
    void everyArchitectureRoundTripsExactly() {
        for (String arch : Architectures.names()) {
            Network net = VisionModel.builder().setArch(arch).setClasses(7).build();
            String json = NetworkJson.write(net);
            Network back = NetworkJson.read(json);
            assertThat(back).isEqualTo(net);
            assertThat(NetworkJson.write(back)).isEqualTo(json);
        }
    }

    @Test
    void unusualValuesSurvive() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(2).optInputChannels(4)
            .optHead(HeadOptions.builder().optPs(List.of(0.1 / 3, 0.7)).optBnFinal(true).optYRange(-1.25, 1e-7).build())
            .build();
        assertThat(NetworkJson.read(NetworkJson.write(net))).isEqualTo(net);
    }

    @Test
    void jsonNamesParametersWithShapes() {
        String json = NetworkJson.write(VisionModel.builder().setArch("resnet18").setClasses(3).build());
        assertThat(json).contains("\"format\" : \"graft-network\"", "\"body_end\" : \"layer4.1.relu_1\"",
            "\"head_start\" : \"head.0\"", "\"kind\" : \"concat_pool\"", "\"running_var\" : [ 256 ]");
    }

    @Test
    void badDocumentsGetOneLineErrors() {
        String good = NetworkJson.write(VisionModel.builder().setArch("resnet18").setClasses(3).build());
        assertThatThrownBy(() -> NetworkJson.read("{"))
            .isInstanceOf(GraftException.class).hasMessageStartingWith("network spec is not valid JSON");
        assertThatThrownBy(() -> NetworkJson.read(good.replace("graft-network", "other")))
            .isInstanceOf(GraftException.class).hasMessageContaining("not a Graft network spec");
        assertThatThrownBy(() -> NetworkJson.read(good.replace("\"kind\" : \"relu\"", "\"kind\" : \"swish\"")))
            .isInstanceOf(GraftException.class).hasMessageContaining("malformed");
        assertThatThrownBy(() -> NetworkJson.read(good.replaceFirst("\"running_var\" : \\[ 64 \\]", "\"running_var\" : [ 65 ]")))
            .isInstanceOf(GraftException.class).hasMessageContaining("bn1.running_var is declared [65]");
        assertThatThrownBy(() -> NetworkJson.read(good.replace("\"inputs\" : [ \"layer1.0.bn2\", \"maxpool\" ]",
                "\"inputs\" : [ \"layer1.0.bn2\", \"nowhere\" ]")))
            .isInstanceOf(GraftException.class).hasMessageContaining("reads 'nowhere'");
    }

    @Test
    void builderRejectsInconsistentNetworks() {
        assertThatThrownBy(() -> Network.builder()
                .add("c", Layer.Conv2d.square(3, 8, 3, 1, 1, false))
                .add("b", Layer.BatchNorm.of2d(16))
                .group("all", "c", "b").build())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b: batchnorm expects 16");
        assertThatThrownBy(() -> Network.builder()
                .add("c", Layer.Conv2d.square(3, 8, 3, 1, 1, false))
                .group("a", "c").group("b", "c").build())
            .hasMessageContaining("in 2 layer groups");
    }
}
