package dev.graft.models.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import org.junit.jupiter.api.Test;

class NetworkJsonKindsTest {

    @Test
    void everyLayerKindRoundTripsExactly() {
        Network net = SpecSamples.everyKind();
        String json = NetworkJson.write(net);
        Network back = NetworkJson.read(json);
        assertThat(back).isEqualTo(net);
        for (int i = 0; i < net.nodes().size(); i++) {
            assertThat(back.nodes().get(i).layer()).isEqualTo(net.nodes().get(i).layer());
        }
        assertThat(NetworkJson.write(back)).isEqualTo(json);
        for (Layer l : SpecSamples.oneOfEachKind()) {
            assertThat(json).as(l.kind()).contains("\"kind\" : \"" + l.kind() + "\"");
        }
    }

    @Test
    void attributesAreWrittenInFull() {
        String json = NetworkJson.write(SpecSamples.everyKind());
        assertThat(json).contains("\"kernelW\" : 5", "\"padW\" : 2", "\"eps\" : 0.001", "\"momentum\" : 0.01",
            "\"mode\" : \"row\"", "\"p\" : 0.2", "\"low\" : -1.0", "\"high\" : 2.5", "\"groups\" : 2");
    }

    @Test
    void maxPoolCeilModeIsOptionalAndWrittenOnlyWhenSet() {
        String json = NetworkJson.write(SpecSamples.everyKind());
        assertThat(json).doesNotContain("ceilMode");
        Network ceil = Network.builder().inputChannels(3).add("p", new Layer.MaxPool(3, 2, 0, true)).group("all", "p").build();
        String ceilJson = NetworkJson.write(ceil);
        assertThat(ceilJson).contains("\"ceilMode\" : true");
        assertThat(NetworkJson.read(ceilJson)).isEqualTo(ceil);
        // a spec written before ceilMode existed reads as floor rounding
        assertThat(NetworkJson.read(ceilJson.replace(",\n      \"ceilMode\" : true", "")).nodes().get(0).layer())
            .isEqualTo(new Layer.MaxPool(3, 2, 0));
        assertThatThrownBy(() -> NetworkJson.read(json.replace("\"kernel\" : 3,", "")))
            .isInstanceOf(GraftException.class).hasMessageContaining("maxpool: kernel, stride and padding are required");
        assertThatThrownBy(() -> NetworkJson.read(json.replace("\"kernel\" : 3,", "\"kernel\" : 3, \"ceil\" : 1,")))
            .isInstanceOf(GraftException.class).hasMessageStartingWith("network spec is malformed");
    }

    @Test
    void aLayerWithAMissingOrUnknownAttributeIsRefused() {
        String json = NetworkJson.write(SpecSamples.everyKind());
        assertThatThrownBy(() -> NetworkJson.read(json.replace("\"mode\" : \"row\"", "\"mode\" : \"row\", \"extra\" : 1")))
            .isInstanceOf(GraftException.class).hasMessageStartingWith("network spec is malformed");
        assertThatThrownBy(() -> NetworkJson.read(json.replace("\"low\" : -1.0,", "")))
            .isInstanceOf(GraftException.class).hasMessageStartingWith("network spec is malformed");
        assertThatThrownBy(() -> NetworkJson.read(json.replace("\"mode\" : \"row\"", "\"mode\" : \"column\"")))
            .isInstanceOf(GraftException.class).hasMessageContaining("stochastic_depth: mode must be 'row' or 'batch'");
    }
}
