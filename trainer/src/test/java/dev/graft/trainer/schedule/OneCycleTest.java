package dev.graft.trainer.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.models.GraftException;
import java.util.List;
import org.junit.jupiter.api.Test;

class OneCycleTest {
    private final OneCycle c = OneCycle.defaults();

    @Test
    void learningRateWarmsUpThenAnneals() {
        assertThat(c.lr(1e-3, 0)).isCloseTo(1e-3 / 25, within(1e-15));
        assertThat(c.lr(1e-3, 0.25)).isCloseTo(1e-3, within(1e-15));
        assertThat(c.lr(1e-3, 1)).isCloseTo(1e-3 / 1e5, within(1e-15));
        // halfway up the warm-up: the cosine midpoint of start and max
        assertThat(c.lr(1e-3, 0.125)).isCloseTo((1e-3 / 25 + 1e-3) / 2, within(1e-15));
        // a hand-computed point on the way down: pos 0.625 is halfway through the annealing
        assertThat(c.lr(1e-3, 0.625)).isCloseTo((1e-3 + 1e-8) / 2, within(1e-15));
    }

    @Test
    void momentumMovesTheOtherWay() {
        assertThat(c.mom(0)).isCloseTo(0.95, within(1e-12));
        assertThat(c.mom(0.25)).isCloseTo(0.85, within(1e-12));
        assertThat(c.mom(1)).isCloseTo(0.95, within(1e-12));
        assertThat(c.mom(0.125)).isCloseTo(0.90, within(1e-12));
        double pos = 0.1;
        double expected = 0.95 + (1 + Math.cos(Math.PI * (1 - pos / 0.25))) * (0.85 - 0.95) / 2;
        assertThat(c.mom(pos)).isCloseTo(expected, within(1e-15));
    }

    @Test
    void slicesSpreadAcrossGroupsAsFastaiDoes() {
        assertThat(LearningRates.of(1e-3).perGroup(3)).containsExactly(1e-3, 1e-3, 1e-3);
        assertThat(LearningRates.slice(1e-3).perGroup(3)).containsExactly(1e-4, 1e-4, 1e-3);
        assertThat(LearningRates.slice(1e-5, 1e-3).perGroup(3)).containsExactly(new double[] {1e-5, 1e-4, 1e-3}, within(1e-18));
        assertThat(LearningRates.parse(":2e-3")).isEqualTo(LearningRates.slice(2e-3));
        assertThat(LearningRates.parse("1e-5:1e-3")).isEqualTo(LearningRates.slice(1e-5, 1e-3));
        assertThatThrownBy(() -> LearningRates.parse("fast")).isInstanceOf(GraftException.class);
        assertThatThrownBy(() -> LearningRates.parse("-1")).isInstanceOf(GraftException.class);
    }

    @Test
    void valleyPicksPastTheFirstThirdOfTheLongestDescent() {
        // losses fall from index 2 to index 8, then rise
        List<Double> losses = List.of(3.0, 3.1, 3.0, 2.5, 2.0, 1.5, 1.0, 0.8, 0.7, 2.0, 5.0);
        int idx = LrFinderMath.valley(losses);
        // fastai: lds[8] = 8 (0,2,3,...,8 decreasing), max_start = 0, sections = 8/3 -> idx = 0 + 2 + 1
        assertThat(idx).isEqualTo(3);
        assertThat(LrFinderMath.sweep(1e-7, 10, 0.5)).isCloseTo(Math.sqrt(1e-7 * 10), within(1e-12));
        LrFinderMath.SmoothLoss s = new LrFinderMath.SmoothLoss(0.98);
        assertThat(s.add(2.0)).isCloseTo(2.0, within(1e-12)); // debiased: the first value is itself
    }
}
