package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.image.testing.TestImages;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A model that computes NaN or infinity gives no prediction: a one-line {@link NonFiniteOutputException}. */
class NonFiniteOutputTest {
    private static final BufferedImage PICTURE = TestImages.picture(70, 50, 4);

    @Test
    void aNanOutputIsRefusedNotReported() {
        byte[] nan = TestModels.withOutputTimes(TestModels.goldenSoftmax(), Float.NaN);
        try (EdgeModel model = EdgeModel.load(nan, TestModels.cpu())) {
            assertThatThrownBy(() -> model.predict(PICTURE)).isInstanceOf(NonFiniteOutputException.class)
                    .isNotInstanceOf(BadInputException.class)
                    .hasMessage("the model computed NaN for output 0; a non-finite output is no prediction (the"
                            + " model's weights or its arithmetic overflowed)");
            assertThatThrownBy(() -> model.predictBatch(List.of(EdgeInput.of(PICTURE), EdgeInput.of(PICTURE))))
                    .isInstanceOf(NonFiniteOutputException.class).hasMessageContaining("of input 0 of 2");
        }
    }

    @Test
    void anInfiniteOutputIsRefusedForEveryTask() {
        for (byte[] base : List.of(TestModels.goldenSoftmax(), TestModels.goldenSigmoid())) {
            byte[] inf = TestModels.withOutputTimes(base, Float.POSITIVE_INFINITY);
            try (EdgeModel model = EdgeModel.load(inf, TestModels.cpu())) {
                assertThatThrownBy(() -> model.predict(PICTURE)).isInstanceOf(NonFiniteOutputException.class)
                        .hasMessageContaining("computed Infinity").hasMessageNotContaining("\n");
            }
        }
    }

    @Test
    void aFiniteModelIsUnchangedAndANanTensorIsTheInputsFault() {
        byte[] same = TestModels.withOutputTimes(TestModels.goldenSoftmax(), 1f);
        try (EdgeModel model = EdgeModel.load(same, TestModels.cpu());
                EdgeModel golden = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
            assertThat(model.predict(PICTURE).scores()).containsExactly(golden.predict(PICTURE).scores());
            float[] chw = model.preprocess(PICTURE);
            chw[5] = Float.NaN;
            assertThatThrownBy(() -> model.predict(chw)).isInstanceOf(BadInputException.class)
                    .hasMessage("the tensor holds NaN at index 5; the model takes finite values");
            assertThat(model.predict(PICTURE).scores()).as("still usable").hasSize(3);
        }
    }
}
