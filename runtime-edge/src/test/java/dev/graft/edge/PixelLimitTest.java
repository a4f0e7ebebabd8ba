package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.image.testing.TestImages;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EdgeOptions.Builder#optMaxPixels}: an image over the limit is refused with one line, from its header and
 * before its pixels are decoded, whether it comes as a file, bytes or a decoded image; one at the limit is served.
 */
class PixelLimitTest {
    private static final BufferedImage PICTURE = TestImages.picture(70, 50, 4);

    @TempDir
    Path dir;

    @Test
    void anImageOverThePixelLimitIsRefusedAndOneAtItIsServed() throws Exception {
        byte[] png = TestImages.encode(PICTURE, "png");
        Path file = Files.write(dir.resolve("photo.png"), png);
        String refused = "the image is 70 x 50 pixels (0 megapixels), over the limit of 3499 pixels; refused before"
                + " decoding";
        EdgeOptions under = EdgeOptions.builder().optDevice("cpu").optMaxPixels(70 * 50 - 1).build();
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), under)) {
            assertThat(model.options().maxPixels()).isEqualTo(3499);
            assertThatThrownBy(() -> model.predict(png)).isExactlyInstanceOf(BadInputException.class)
                    .hasMessage(refused);
            assertThatThrownBy(() -> model.predict(file)).isExactlyInstanceOf(BadInputException.class)
                    .hasMessage(file + ": " + refused);
            assertThatThrownBy(() -> model.predict(PICTURE)).isExactlyInstanceOf(BadInputException.class)
                    .hasMessage(refused);
            // a smaller image still goes through the same model
            assertThat(model.predict(TestImages.picture(69, 50, 4)).scores()).hasSize(3);
        }
        EdgeOptions at = EdgeOptions.builder().optDevice("cpu").optMaxPixels(70 * 50).build();
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), at)) {
            assertThat(model.predict(png).scores()).hasSize(3);
            assertThat(model.predict(file).scores()).hasSize(3);
        }
        assertThatThrownBy(() -> EdgeOptions.builder().optMaxPixels(0)).isInstanceOf(EdgeException.class)
                .hasMessage("the pixel limit must be positive, not 0");
    }
}
