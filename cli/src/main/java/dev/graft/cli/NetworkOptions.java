package dev.graft.cli;

import dev.graft.models.GraftException;
import dev.graft.models.arch.Cut;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Network;
import java.util.List;
import picocli.CommandLine.Option;

/** The options that describe a body + head network, shared by every subcommand that builds one. */
final class NetworkOptions {
    @Option(names = "--arch", description = "Backbone: resnet18, resnet34, resnet50, resnet101, resnet152,"
            + " resnext50_32x4d, resnext101_32x8d, wide_resnet50_2, wide_resnet101_2, mobilenet_v2, mobilenet_v3_large,"
            + " mobilenet_v3_small, efficientnet_b0, vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn, alexnet, densenet121,"
            + " densenet169, densenet201, densenet161, squeezenet1_0, squeezenet1_1.")
    String arch;

    @Option(names = "--classes", description = "Outputs of the head (classes, or regression targets).")
    Integer classes;

    @Option(names = "--n-in", defaultValue = "3", description = "Input channels (fastai's n_in; default: ${DEFAULT-VALUE}).")
    int nIn;

    @Option(names = "--cut", description = "Where to cut the backbone: children to keep (negative from the end) or 'auto' (default: the architecture's: -2 for ResNets, MobileNetV3 and EfficientNet, -1 for mobilenet_v2, keeping features).")
    String cut;

    @Option(names = "--lin-ftrs", split = ",", description = "Hidden layer sizes of the head (default: 512).")
    List<Integer> linFtrs;

    @Option(names = "--no-lin-ftrs", description = "No hidden layer: pool, then one Linear.")
    boolean noLinFtrs;

    @Option(names = "--ps", split = ",", description = "Dropout: one value (halved for hidden layers) or one per Linear (default: 0.5).")
    List<Double> ps;

    @Option(names = "--no-pool", description = "No pooling in the head (the body must end flat).")
    boolean noPool;

    @Option(names = "--no-concat-pool", description = "Average pooling only, instead of max + average.")
    boolean noConcatPool;

    @Option(names = "--first-bn", arity = "1", defaultValue = "true", description = "BatchNorm before the first Linear (default: ${DEFAULT-VALUE}).")
    boolean firstBn;

    @Option(names = "--bn-final", description = "Append a BatchNorm1d over the outputs.")
    boolean bnFinal;

    @Option(names = "--lin-first", description = "Linear before BatchNorm and Dropout in each block.")
    boolean linFirst;

    @Option(names = "--y-range", split = ",", description = "Regression output range low,high (appends SigmoidRange).")
    List<Double> yRange;

    Network build() {
        if (arch == null || classes == null) {
            throw new GraftException("give --arch and --classes (or a checkpoint)");
        }
        HeadOptions.Builder head = HeadOptions.builder()
            .optPool(!noPool)
            .optConcatPool(!noConcatPool)
            .optFirstBn(firstBn)
            .optBnFinal(bnFinal)
            .optLinFirst(linFirst);
        if (noLinFtrs && linFtrs != null) {
            throw new GraftException("--lin-ftrs and --no-lin-ftrs contradict each other");
        }
        if (noLinFtrs) {
            head.optLinFtrs(List.of());
        } else if (linFtrs != null) {
            head.optLinFtrs(linFtrs);
        }
        if (ps != null) {
            head.optPs(ps);
        }
        if (yRange != null) {
            if (yRange.size() != 2) {
                throw new GraftException("--y-range takes two numbers, low,high; got " + yRange.size());
            }
            head.optYRange(yRange.get(0), yRange.get(1));
        }
        VisionModel.Builder b = VisionModel.builder().setArch(arch).setClasses(classes).optInputChannels(nIn)
            .optHead(head.build());
        if (cut != null) {
            b.optCut(Cut.parse(cut));
        }
        return b.build();
    }
}
