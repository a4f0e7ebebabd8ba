package dev.graft.models.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LayerTest {

    @Test
    void theSamplesCoverEveryKind() {
        Set<Class<?>> kinds = Arrays.stream(Layer.class.getPermittedSubclasses()).collect(Collectors.toSet());
        assertThat(SpecSamples.oneOfEachKind()).extracting(Object::getClass).containsExactlyInAnyOrderElementsOf(kinds);
        assertThat(SpecSamples.everyKind().nodes()).extracting(n -> (Object) n.layer().getClass())
            .containsAll(kinds);
    }

    @Test
    void theVisitorHasOneMethodPerKindAndNoDefaults() {
        Method[] methods = Layer.Visitor.class.getDeclaredMethods();
        assertThat(methods).noneMatch(Method::isDefault).allMatch(m -> m.getParameterCount() == 1);
        assertThat(Arrays.stream(methods).map(m -> (Object) m.getParameterTypes()[0]))
            .containsExactlyInAnyOrder(Layer.class.getPermittedSubclasses());
    }

    @Test
    void acceptCallsTheKindsOwnMethod() {
        for (Layer l : SpecSamples.oneOfEachKind()) {
            assertThat(l.accept(new Named()).toLowerCase()).isEqualTo(l.getClass().getSimpleName().toLowerCase());
        }
    }

    @Test
    void kindTagsAreDistinct() {
        List<String> tags = SpecSamples.oneOfEachKind().stream().map(Layer::kind).toList();
        assertThat(tags).doesNotHaveDuplicates().contains("conv2d", "batchnorm", "concat_pool", "stochastic_depth");
    }

    @Test
    void parametersAreDerivedFromTheAttributes() {
        Layer.Conv2d grouped = new Layer.Conv2d(4, 6, 3, 1, 2, 1, 1, 0, 2, 2, true);
        assertThat(grouped.params()).containsExactly(
            new Param("weight", List.of(6, 2, 3, 1), true), new Param("bias", List.of(6), true));
        assertThat(Layer.Conv2d.square(3, 64, 7, 2, 3, false).params())
            .containsExactly(new Param("weight", List.of(64, 3, 7, 7), true));
        assertThat(Layer.BatchNorm.of2d(32).params()).containsExactly(
            new Param("weight", List.of(32), true), new Param("bias", List.of(32), true),
            new Param("running_mean", List.of(32), false), new Param("running_var", List.of(32), false));
        assertThat(new Layer.Linear(512, 10, true).params()).containsExactly(
            new Param("weight", List.of(10, 512), true), new Param("bias", List.of(10), true));
        assertThat(new Layer.Linear(512, 10, false).params()).containsExactly(new Param("weight", List.of(10, 512), true));
        assertThat(new Layer.LayerNorm2d(96, 1e-6).params()).containsExactly(
            new Param("weight", List.of(96), true), new Param("bias", List.of(96), true));
        assertThat(new Layer.ChannelLinear(96, 384, true).params()).containsExactly(
            new Param("weight", List.of(384, 96), true), new Param("bias", List.of(384), true));
        assertThat(new Layer.LayerScale(96).params()).containsExactly(new Param("layer_scale", List.of(96, 1, 1), true));
        for (Layer l : SpecSamples.oneOfEachKind()) {
            if (!(l instanceof Layer.Conv2d || l instanceof Layer.BatchNorm || l instanceof Layer.Linear
                || l instanceof Layer.LayerNorm2d || l instanceof Layer.ChannelLinear || l instanceof Layer.LayerScale)) {
                assertThat(l.params()).as(l.kind()).isEmpty();
            }
        }
    }

    @Test
    void onlyLayersWithTrainingBehaviourAreTrainingDependent() {
        assertThat(SpecSamples.oneOfEachKind().stream().filter(Layer::trainingDependent).map(Layer::kind))
            .containsExactlyInAnyOrder("batchnorm", "dropout", "stochastic_depth");
    }

    @Test
    void networkParametersAreNamedByNodeAndCounted() {
        Network net = SpecSamples.everyKind();
        assertThat(net.params()).containsKeys("conv1.weight", "bn1.running_var", "se.fc1.bias", "head.4.weight")
            .doesNotContainKeys("conv1.bias", "head.4.bias");
        assertThat(net.params().get("block.conv.weight").shape()).containsExactly(8, 4, 3, 3);
        assertThat(net.params().get("head.2.running_mean").learnable()).isFalse();
        long expected = 8 * 3 * 3 * 5 + 2 * 8 + 8 * 4 * 3 * 3 + (4 * 8 + 4) + (8 * 4 + 8) + 8 * 16
            + (2 * 8 + (8 * 32 + 32) + 32 * 8 + 8) + 2 * 16 + 3 * 16 + 2 * 3;
        assertThat(net.learnableCount()).isEqualTo(expected);
        assertThat(Network.learnableCount(net.headNodes())).isEqualTo(2 * 16 + 3 * 16 + 2 * 3);
    }

    @Test
    void convolutionAttributesAreChecked() {
        assertThatThrownBy(() -> Layer.Conv2d.square(0, 8, 3, 1, 1, false)).hasMessage("in must be positive, not 0");
        assertThatThrownBy(() -> Layer.Conv2d.square(3, -1, 3, 1, 1, false)).hasMessage("out must be positive, not -1");
        assertThatThrownBy(() -> new Layer.Conv2d(3, 8, 0, 3, 1, 1, 0, 0, 1, 1, false))
            .hasMessage("kernelH must be positive, not 0");
        assertThatThrownBy(() -> new Layer.Conv2d(3, 8, 3, 0, 1, 1, 0, 0, 1, 1, false))
            .hasMessage("kernelW must be positive, not 0");
        assertThatThrownBy(() -> new Layer.Conv2d(3, 8, 3, 3, 0, 1, 0, 0, 1, 1, false))
            .hasMessage("strideH must be positive, not 0");
        assertThatThrownBy(() -> new Layer.Conv2d(3, 8, 3, 3, 1, 0, 0, 0, 1, 1, false))
            .hasMessage("strideW must be positive, not 0");
        assertThatThrownBy(() -> new Layer.Conv2d(3, 8, 3, 3, 1, 1, -1, 0, 1, 1, false))
            .hasMessage("padH must not be negative, not -1");
        assertThatThrownBy(() -> new Layer.Conv2d(3, 8, 3, 3, 1, 1, 0, -2, 1, 1, false))
            .hasMessage("padW must not be negative, not -2");
        assertThatThrownBy(() -> new Layer.Conv2d(3, 8, 3, 3, 1, 1, 0, 0, 0, 1, false))
            .hasMessage("dilation must be positive, not 0");
        assertThatThrownBy(() -> new Layer.Conv2d(3, 8, 3, 3, 1, 1, 0, 0, 1, 0, false))
            .hasMessage("groups must be positive, not 0");
        assertThatThrownBy(() -> new Layer.Conv2d(6, 8, 3, 3, 1, 1, 0, 0, 1, 3, false))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("conv2d: groups 3 must divide in 6 and out 8");
    }

    @Test
    void otherAttributesAreChecked() {
        assertThatThrownBy(() -> Layer.BatchNorm.of2d(0)).hasMessage("features must be positive, not 0");
        assertThatThrownBy(() -> new Layer.BatchNorm(8, 3, 1e-5, 0.1)).hasMessage("batchnorm: dims must be 1 or 2, not 3");
        assertThatThrownBy(() -> new Layer.BatchNorm(8, 2, 0, 0.1)).hasMessage("batchnorm: eps must be positive, not 0.0");
        assertThatThrownBy(() -> new Layer.BatchNorm(8, 2, Double.NaN, 0.1))
            .hasMessage("batchnorm: eps must be positive, not NaN");
        assertThatThrownBy(() -> new Layer.BatchNorm(8, 2, 1e-5, 0)).hasMessage("batchnorm: momentum must be in (0, 1], not 0.0");
        assertThatThrownBy(() -> new Layer.BatchNorm(8, 2, 1e-5, 1.5)).hasMessage("batchnorm: momentum must be in (0, 1], not 1.5");
        assertThatThrownBy(() -> new Layer.MaxPool(0, 2, 0)).hasMessage("kernel must be positive, not 0");
        assertThatThrownBy(() -> new Layer.MaxPool(3, 0, 0)).hasMessage("stride must be positive, not 0");
        assertThatThrownBy(() -> new Layer.MaxPool(3, 2, -1)).hasMessage("padding must not be negative, not -1");
        assertThatThrownBy(() -> new Layer.MaxPool(3, 2, 2)).hasMessage("maxpool: padding 2 must be at most half the kernel 3");
        assertThatThrownBy(() -> new Layer.AvgPool2d(0, 2, 0)).hasMessage("kernel must be positive, not 0");
        assertThatThrownBy(() -> new Layer.AvgPool2d(2, 2, 2)).hasMessage("avg_pool2d: padding 2 must be at most half the kernel 2");
        assertThatThrownBy(() -> new Layer.Dropout(1)).hasMessage("dropout: p must be in [0, 1), not 1.0");
        assertThatThrownBy(() -> new Layer.Dropout(-0.1)).hasMessage("dropout: p must be in [0, 1), not -0.1");
        assertThatThrownBy(() -> new Layer.Linear(0, 3, true)).hasMessage("in must be positive, not 0");
        assertThatThrownBy(() -> new Layer.Linear(3, 0, true)).hasMessage("out must be positive, not 0");
        assertThatThrownBy(() -> new Layer.SigmoidRange(1, 1)).hasMessage("sigmoid_range: low must be below high, got 1.0, 1.0");
        assertThatThrownBy(() -> new Layer.SigmoidRange(0, Double.POSITIVE_INFINITY))
            .hasMessage("sigmoid_range: low must be below high, got 0.0, Infinity");
        assertThatThrownBy(() -> Layer.StochasticDepth.row(1)).hasMessage("stochastic_depth: p must be in [0, 1), not 1.0");
        assertThatThrownBy(() -> new Layer.StochasticDepth(0.1, "column"))
            .hasMessage("stochastic_depth: mode must be 'row' or 'batch', not 'column'");
    }

    /** Answers the kind's method name, so a record calling the wrong method is seen. */
    private static final class Named implements Layer.Visitor<String> {
        @Override
        public String conv2d(Layer.Conv2d layer) {
            return "conv2d";
        }

        @Override
        public String batchNorm(Layer.BatchNorm layer) {
            return "batchNorm";
        }

        @Override
        public String relu(Layer.Relu layer) {
            return "relu";
        }

        @Override
        public String maxPool(Layer.MaxPool layer) {
            return "maxPool";
        }

        @Override
        public String add(Layer.Add layer) {
            return "add";
        }

        @Override
        public String concatPool(Layer.ConcatPool layer) {
            return "concatPool";
        }

        @Override
        public String avgPool(Layer.AvgPool layer) {
            return "avgPool";
        }

        @Override
        public String flatten(Layer.Flatten layer) {
            return "flatten";
        }

        @Override
        public String dropout(Layer.Dropout layer) {
            return "dropout";
        }

        @Override
        public String linear(Layer.Linear layer) {
            return "linear";
        }

        @Override
        public String sigmoidRange(Layer.SigmoidRange layer) {
            return "sigmoidRange";
        }

        @Override
        public String relu6(Layer.Relu6 layer) {
            return "relu6";
        }

        @Override
        public String hardswish(Layer.Hardswish layer) {
            return "hardswish";
        }

        @Override
        public String hardsigmoid(Layer.Hardsigmoid layer) {
            return "hardsigmoid";
        }

        @Override
        public String silu(Layer.Silu layer) {
            return "silu";
        }

        @Override
        public String sigmoid(Layer.Sigmoid layer) {
            return "sigmoid";
        }

        @Override
        public String mul(Layer.Mul layer) {
            return "mul";
        }

        @Override
        public String stochasticDepth(Layer.StochasticDepth layer) {
            return "stochasticDepth";
        }

        @Override
        public String layerNorm2d(Layer.LayerNorm2d layer) {
            return "layerNorm2d";
        }

        @Override
        public String channelLinear(Layer.ChannelLinear layer) {
            return "channelLinear";
        }

        @Override
        public String gelu(Layer.Gelu layer) {
            return "gelu";
        }

        @Override
        public String layerScale(Layer.LayerScale layer) {
            return "layerScale";
        }

        @Override
        public String concat(Layer.Concat layer) {
            return "concat";
        }

        @Override
        public String avgPool2d(Layer.AvgPool2d layer) {
            return "avgPool2d";
        }
    }
}
