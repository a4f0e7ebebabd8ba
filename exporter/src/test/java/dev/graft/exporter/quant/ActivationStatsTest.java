package dev.graft.exporter.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.models.GraftException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ActivationStatsTest {
    @Test
    void minmaxIsTheExactRangeWidenedToZero() {
        ActivationStats s = new ActivationStats("t", false);
        s.add(new float[] {0.5f, 2f, 1f}, 0, 3);
        s.add(new float[] {9f, 3f, 7f}, 1, 2); // 3 and 7 only
        assertThat(s.count()).isEqualTo(5);
        assertThat(s.range(CalibrationMethod.MINMAX)).containsExactly(0, 7);
        ActivationStats negative = new ActivationStats("n", false);
        negative.add(new float[] {-3f, -1f}, 0, 2);
        assertThat(negative.range(CalibrationMethod.MINMAX)).containsExactly(-3, 0);
    }

    @Test
    void percentileClipsTheRareOutliersThatMinmaxKeeps() {
        ActivationStats s = new ActivationStats("t", true);
        Random r = new Random(1);
        float[] v = new float[1_000_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat(); // U(0, 1)
        }
        v[17] = 100f; // one outlier in a million: inside the 1e-5 tail
        s.add(v, 0, v.length / 2);
        s.add(v, v.length / 2, v.length / 2); // the range grows in the second batch: bins merge
        assertThat(s.range(CalibrationMethod.MINMAX)[1]).isEqualTo(100);
        double[] p = s.range(CalibrationMethod.PERCENTILE);
        assertThat(p[0]).isZero();
        // The histogram's bins are 100/2048 wide after growing, so the threshold is the edge just above 1.
        assertThat(p[1]).isCloseTo(1.0, within(100.0 / 2048 + 1e-9));
    }

    @Test
    void entropyOfAGaussianClipsTheTailsLikeTensorRt() {
        ActivationStats s = new ActivationStats("t", true);
        Random r = new Random(2);
        float[] v = new float[2_000_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        s.add(v, 0, v.length);
        double[] range = s.range(CalibrationMethod.ENTROPY);
        double max = s.max();
        System.out.printf("N(0,1), 2e6 samples: entropy range [%.3f, %.3f], absmax %.3f%n", range[0], range[1], max);
        // A signed tensor is clipped symmetrically, well inside the extremes but beyond 2.5 sigma.
        assertThat(range[1]).isEqualTo(-range[0], within(1e-9)).isBetween(2.5, 0.9 * max);
        ActivationStats relu = new ActivationStats("relu", true);
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.max(0, v[i]);
        }
        relu.add(v, 0, v.length);
        double[] reluRange = relu.range(CalibrationMethod.ENTROPY);
        assertThat(reluRange[0]).isZero();
        assertThat(reluRange[1]).isBetween(2.5, relu.max());
    }

    @Test
    void aTensorOfZerosHasAnEmptyRange() {
        ActivationStats s = new ActivationStats("zeros", true);
        s.add(new float[8], 0, 8);
        for (CalibrationMethod m : CalibrationMethod.values()) {
            assertThat(s.range(m)).containsExactly(0, 0);
        }
        assertThat(Quantization.uint8(0, 0)).isEqualTo(new Quantization.Uint8(1f, 0));
    }

    @Test
    void nanAndEmptyAreErrors() {
        ActivationStats s = new ActivationStats("layer1.0.bn1", true);
        assertThatThrownBy(() -> s.range(CalibrationMethod.MINMAX)).isInstanceOf(GraftException.class)
                .hasMessageContaining("saw no values of tensor layer1.0.bn1");
        assertThatThrownBy(() -> s.add(new float[] {1f, Float.NaN}, 0, 2)).isInstanceOf(GraftException.class)
                .hasMessageContaining("NaN or infinite value in tensor layer1.0.bn1");
    }
}
