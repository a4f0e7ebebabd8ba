package dev.graft.exporter.fold;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.exporter.fold.FoldPlan.Decision;
import dev.graft.exporter.fold.FoldPlan.Kind;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where each BatchNorm goes, for the layouts fastai's heads and torchvision's bodies produce, and for the odd ones. */
class FoldPlanTest {
    private static Network resnet18(HeadOptions head) {
        return VisionModel.builder().setArch("resnet18").setClasses(3).optHead(head).build();
    }

    @Test
    void everyBodyBatchNormFoldsIntoItsConvolution() {
        FoldPlan plan = FoldPlan.of(resnet18(HeadOptions.defaults()));
        List<Decision> body = plan.decisions().stream().filter(d -> !d.batchNorm().startsWith("head")).toList();
        assertThat(body).hasSize(20).allMatch(d -> d.kind() == Kind.INTO_PRECEDING);
        assertThat(plan.decision("layer2.0.downsample.1").target()).contains("layer2.0.downsample.0");
        assertThat(plan.foldedIntoOutputs("layer1.0.conv2")).contains("layer1.0.bn2");
    }

    @Test
    void fastaiHeadBatchNormsFoldForwardThroughDropoutIntoTheNextLinear() {
        // head: 0 pool, 1 flatten, 2 bn, 3 dropout, 4 linear, 5 relu, 6 bn, 7 dropout, 8 linear
        FoldPlan plan = FoldPlan.of(resnet18(HeadOptions.defaults()));
        assertThat(plan.decision("head.2")).isEqualTo(new Decision("head.2", Kind.INTO_FOLLOWING, Optional.of("head.4")));
        assertThat(plan.decision("head.6")).isEqualTo(new Decision("head.6", Kind.INTO_FOLLOWING, Optional.of("head.8")));
        assertThat(plan.foldedIntoInputs("head.8")).contains("head.6");
    }

    @Test
    void linFirstBatchNormAfterReluFoldsForward() {
        // head: 0 pool, 1 flatten, 2 dropout, 3 linear, 4 relu, 5 bn, 6 dropout, 7 linear
        FoldPlan plan = FoldPlan.of(resnet18(HeadOptions.builder().optLinFirst(true).build()));
        assertThat(plan.decision("head.5").kind()).isEqualTo(Kind.INTO_FOLLOWING);
        assertThat(plan.decision("head.5").target()).contains("head.7");
    }

    @Test
    void bnFinalFoldsBackIntoTheLastLinear() {
        // lin_ftrs []: 0 pool, 1 flatten, 2 bn, 3 dropout, 4 linear, 5 bn_final
        FoldPlan plan = FoldPlan.of(resnet18(HeadOptions.builder().optLinFtrs(List.of()).optBnFinal(true).build()));
        assertThat(plan.decision("head.2").target()).contains("head.4");
        assertThat(plan.decision("head.5")).isEqualTo(new Decision("head.5", Kind.INTO_PRECEDING, Optional.of("head.4")));
        assertThat(plan.foldedIntoInputs("head.4")).contains("head.2");
        assertThat(plan.foldedIntoOutputs("head.4")).contains("head.5");
    }

    @Test
    void batchNormAfterReluAtTheEndOrAfterTheBodyBecomesScaleAndShift() {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(4).optCustomHead(List.of(
                Layer.BatchNorm.of2d(512), new Layer.AvgPool(), new Layer.Flatten(),
                new Layer.Linear(512, 4, true), new Layer.Relu(), Layer.BatchNorm.of1d(4))).build();
        FoldPlan plan = FoldPlan.of(net);
        assertThat(plan.decision("head.0").kind()).isEqualTo(Kind.SCALE_SHIFT);
        assertThat(plan.decision("head.5")).isEqualTo(new Decision("head.5", Kind.SCALE_SHIFT, Optional.empty()));
    }

    @Test
    void aConvolutionWhoseOutputIsAlsoReadElsewhereKeepsItsBatchNormSeparate() {
        Network net = Network.builder().arch("custom").inputChannels(3)
                .add("conv", Layer.Conv2d.square(3, 4, 3, 1, 1, false))
                .add("bn", Layer.BatchNorm.of2d(4), "conv")
                .add("add", new Layer.Add(), "bn", "conv")
                .add("pool", new Layer.AvgPool())
                .add("flatten", new Layer.Flatten())
                .add("fc", new Layer.Linear(4, 2, true))
                .group("all", "conv", "bn", "add", "pool", "flatten", "fc").build();
        assertThat(FoldPlan.of(net).decision("bn").kind()).isEqualTo(Kind.SCALE_SHIFT);
    }

    @Test
    void convNeXtLayerScalesFoldIntoTheSecondPointwiseLayerOnly() {
        Network net = VisionModel.builder().setArch(dev.graft.models.arch.ConvNeXt.tiny().narrowed(8, 1)).setClasses(3)
                .build();
        FoldPlan plan = FoldPlan.of(net);
        assertThat(plan.layerScaleFoldedInto("features.1.0.block.5")).contains("features.1.0");
        assertThat(plan.isFoldedLayerScale("features.1.0")).isTrue();
        assertThat(plan.layerScaleFoldedInto("features.1.0.block.3")).isEmpty();
        long scales = net.nodes().stream().filter(n -> n.layer() instanceof Layer.LayerScale).count();
        assertThat(net.nodes().stream().filter(n -> plan.isFoldedLayerScale(n.id())).count()).isEqualTo(scales)
                .isEqualTo(4);
    }

    @Test
    void aLayerScaleWhosePointwiseLayerIsReadElsewhereStays() {
        Network net = Network.builder().arch("custom").inputChannels(3)
                .add("lin", new Layer.ChannelLinear(3, 4, true))
                .add("scale", new Layer.LayerScale(4), "lin")
                .add("add", new Layer.Add(), "scale", "lin")
                .add("pool", new Layer.AvgPool())
                .add("flatten", new Layer.Flatten())
                .add("fc", new Layer.Linear(4, 2, true))
                .group("all", "lin", "scale", "add", "pool", "flatten", "fc").build();
        assertThat(FoldPlan.of(net).isFoldedLayerScale("scale")).isFalse();
        assertThat(FoldPlan.of(net).layerScaleFoldedInto("lin")).isEmpty();
    }
}
