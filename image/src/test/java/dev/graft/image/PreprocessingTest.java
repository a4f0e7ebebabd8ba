package dev.graft.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The preprocessing record travels through a model's metadata and comes back equal; bad metadata is one line. */
class PreprocessingTest {
    @Test
    void roundTripsThroughMetadata() {
        Preprocessing p = Preprocessing.of(24, 40, ResizeMethod.PAD, "bgr", List.of(0.1, 0.2, 0.3),
                List.of(0.4, 0.5, 0.6));
        Map<String, String> meta = p.toMetadata();
        assertThat(meta).containsExactly(Map.entry("graft.input.size", "24,40"), Map.entry("graft.input.resize", "pad"),
                Map.entry("graft.input.mean", "0.1,0.2,0.3"), Map.entry("graft.input.std", "0.4,0.5,0.6"),
                Map.entry("graft.input.channels", "BGR"));
        assertThat(Preprocessing.fromMetadata(meta)).isEqualTo(p).hasSameHashCodeAs(p);
        assertThat(Preprocessing.imagenet(64, 64).toMetadata()).containsEntry("graft.input.mean", "0.485,0.456,0.406");
    }

    @Test
    void badMetadataIsOneLine() {
        Map<String, String> meta = new LinkedHashMap<>(Preprocessing.imagenet(64, 64).toMetadata());
        meta.remove(Preprocessing.INPUT_SIZE);
        assertThatThrownBy(() -> Preprocessing.fromMetadata(meta)).isInstanceOf(ImageException.class)
                .hasMessage("the model has no graft.input.size metadata; it is not a Graft export");
        meta.put(Preprocessing.INPUT_SIZE, "64,x");
        assertThatThrownBy(() -> Preprocessing.fromMetadata(meta)).isInstanceOf(ImageException.class)
                .hasMessageStartingWith("the model's preprocessing metadata is malformed");
        meta.put(Preprocessing.INPUT_SIZE, "64,64");
        meta.put(Preprocessing.INPUT_RESIZE, "stretch");
        assertThatThrownBy(() -> Preprocessing.fromMetadata(meta)).isInstanceOf(ImageException.class)
                .hasMessage("unknown graft.input.resize 'stretch'; expected crop, squish or pad");
        meta.put(Preprocessing.INPUT_RESIZE, "crop");
        meta.put(Preprocessing.INPUT_CHANNELS, "RGX");
        assertThatThrownBy(() -> Preprocessing.fromMetadata(meta)).isInstanceOf(ImageException.class)
                .hasMessageContaining("input channel 'X'");
    }
}
