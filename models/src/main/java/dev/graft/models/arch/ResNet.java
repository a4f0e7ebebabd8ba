package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import dev.graft.models.spec.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision's ResNet (v1.5: the stride sits on the bottleneck's 3x3 convolution), node for node.
 *
 * <p>DJL's own ResNetV1 differs (layout, names, strides), so pretrained torchvision or fastai weights would not fit it;
 * this one has torchvision's module paths ({@code layer3.1.bn2.running_var}) and parameter counts.
 */
public final class ResNet implements Architecture {
    private final String name;
    private final boolean bottleneck;
    private final int[] blocks;
    private final int groups;
    private final int widthPerGroup;
    private final boolean inModelMeta;
    /** Channels of the stem and of layer1's planes: torchvision's 64, less in {@link #narrowed}. */
    private final int base;

    private ResNet(String name, boolean bottleneck, int... blocks) {
        this(name, bottleneck, 1, 64, true, blocks);
    }

    private ResNet(String name, boolean bottleneck, int groups, int widthPerGroup, boolean inModelMeta, int... blocks) {
        this(name, bottleneck, groups, widthPerGroup, inModelMeta, 64, blocks);
    }

    private ResNet(String name, boolean bottleneck, int groups, int widthPerGroup, boolean inModelMeta, int base,
                   int[] blocks) {
        this.base = base;
        this.name = name;
        this.bottleneck = bottleneck;
        this.blocks = blocks;
        this.groups = groups;
        this.widthPerGroup = widthPerGroup;
        this.inModelMeta = inModelMeta;
    }

    public static ResNet resnet18() {
        return new ResNet("resnet18", false, 2, 2, 2, 2);
    }

    public static ResNet resnet34() {
        return new ResNet("resnet34", false, 3, 4, 6, 3);
    }

    public static ResNet resnet50() {
        return new ResNet("resnet50", true, 3, 4, 6, 3);
    }

    public static ResNet resnet101() {
        return new ResNet("resnet101", true, 3, 4, 23, 3);
    }

    public static ResNet resnet152() {
        return new ResNet("resnet152", true, 3, 8, 36, 3);
    }

    /** ResNeXt-50 32x4d: resnet50's layout, the 3x3 convolutions in 32 groups of 4 channels per 64 planes. */
    public static ResNet resnext50x32x4d() {
        return new ResNet("resnext50_32x4d", true, 32, 4, false, 3, 4, 6, 3);
    }

    public static ResNet resnext101x32x8d() {
        return new ResNet("resnext101_32x8d", true, 32, 8, false, 3, 4, 23, 3);
    }

    /** Wide ResNet-50-2: resnet50 with twice the bottleneck width (the block's input and output stay as wide). */
    public static ResNet wideResnet50x2() {
        return new ResNet("wide_resnet50_2", true, 1, 128, false, 3, 4, 6, 3);
    }

    public static ResNet wideResnet101x2() {
        return new ResNet("wide_resnet101_2", true, 1, 128, false, 3, 4, 23, 3);
    }

    /**
     * This architecture with every channel count divided by {@code divisor} (groups kept), named
     * {@code <name>_narrow<divisor>}: the same layout, grouping, cut and split at a fraction of the compute, for
     * training tests that must finish in seconds on a laptop. Not a torchvision network: no pretrained file fits it.
     */
    public ResNet narrowed(int divisor) {
        return narrowed(divisor, Integer.MAX_VALUE);
    }

    /**
     * {@link #narrowed(int)} with each stage also cut to at most {@code maxBlocks} blocks, named
     * {@code <name>_narrow<divisor>_blocks<maxBlocks>} when that removes any: the stem, the four stages (each still
     * opening with its strided, downsampling block), the grouping, cut and split stay, so a training test exercises the
     * same kinds of layers in the same groups at a fraction of the depth. Not a torchvision network.
     */
    public ResNet narrowed(int divisor, int maxBlocks) {
        if (divisor < 1 || 64 % divisor != 0 || (64 / divisor) * widthPerGroup % 64 != 0) {
            throw new IllegalArgumentException(name + " cannot be narrowed by " + divisor);
        }
        if (maxBlocks < 1) {
            throw new IllegalArgumentException(name + " needs at least one block a stage, got " + maxBlocks);
        }
        int[] fewer = blocks.clone();
        boolean cut = false;
        for (int i = 0; i < fewer.length; i++) {
            cut |= fewer[i] > maxBlocks;
            fewer[i] = Math.min(fewer[i], maxBlocks);
        }
        return new ResNet(name + "_narrow" + divisor + (cut ? "_blocks" + maxBlocks : ""), bottleneck, groups,
            widthPerGroup, inModelMeta, 64 / divisor, fewer);
    }

    @Override
    public String name() {
        return name;
    }

    private int expansion() {
        return bottleneck ? 4 : 1;
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        List<Child> children = new ArrayList<>();
        children.add(new Child("conv1", List.of(node("conv1", Layer.Conv2d.square(inputChannels, base, 7, 2, 3, false), "input"))));
        children.add(new Child("bn1", List.of(node("bn1", Layer.BatchNorm.of2d(base), "conv1"))));
        children.add(new Child("relu", List.of(node("relu", new Layer.Relu(), "bn1"))));
        children.add(new Child("maxpool", List.of(node("maxpool", new Layer.MaxPool(3, 2, 1), "relu"))));
        String last = "maxpool";
        int inplanes = base;
        for (int stage = 0; stage < 4; stage++) {
            int planes = base << stage;
            int stride = stage == 0 ? 1 : 2;
            List<Node> nodes = new ArrayList<>();
            for (int b = 0; b < blocks[stage]; b++) {
                String prefix = "layer" + (stage + 1) + "." + b;
                int s = b == 0 ? stride : 1;
                last = bottleneck
                    ? bottleneck(nodes, prefix, last, inplanes, planes, s)
                    : basic(nodes, prefix, last, inplanes, planes, s);
                inplanes = planes * expansion();
            }
            children.add(new Child("layer" + (stage + 1), nodes));
        }
        children.add(new Child("avgpool", List.of(node("avgpool", new Layer.AvgPool(), last))));
        // torch.flatten is a function call in ResNet.forward, not a module: it travels with fc, the child that needs it.
        children.add(new Child("fc", List.of(
            node("fc.flatten", new Layer.Flatten(), "avgpool"),
            node("fc", new Layer.Linear((base << 3) * expansion(), numClasses, true), "fc.flatten"))));
        return children;
    }

    private String basic(List<Node> out, String p, String in, int inplanes, int planes, int stride) {
        out.add(node(p + ".conv1", Layer.Conv2d.square(inplanes, planes, 3, stride, 1, false), in));
        out.add(node(p + ".bn1", Layer.BatchNorm.of2d(planes), p + ".conv1"));
        out.add(node(p + ".relu", new Layer.Relu(), p + ".bn1"));
        out.add(node(p + ".conv2", Layer.Conv2d.square(planes, planes, 3, 1, 1, false), p + ".relu"));
        out.add(node(p + ".bn2", Layer.BatchNorm.of2d(planes), p + ".conv2"));
        String identity = downsample(out, p, in, inplanes, planes, stride);
        out.add(new Node(p + ".add", new Layer.Add(), List.of(p + ".bn2", identity)));
        out.add(node(p + ".relu_1", new Layer.Relu(), p + ".add"));
        return p + ".relu_1";
    }

    private String bottleneck(List<Node> out, String p, String in, int inplanes, int planes, int stride) {
        // torchvision: width = int(planes * (base_width / 64.)) * groups
        int width = planes * widthPerGroup / 64 * groups;
        out.add(node(p + ".conv1", Layer.Conv2d.square(inplanes, width, 1, 1, 0, false), in));
        out.add(node(p + ".bn1", Layer.BatchNorm.of2d(width), p + ".conv1"));
        out.add(node(p + ".relu", new Layer.Relu(), p + ".bn1"));
        out.add(node(p + ".conv2", new Layer.Conv2d(width, width, 3, 3, stride, stride, 1, 1, 1, groups, false), p + ".relu"));
        out.add(node(p + ".bn2", Layer.BatchNorm.of2d(width), p + ".conv2"));
        out.add(node(p + ".relu_1", new Layer.Relu(), p + ".bn2"));
        out.add(node(p + ".conv3", Layer.Conv2d.square(width, planes * 4, 1, 1, 0, false), p + ".relu_1"));
        out.add(node(p + ".bn3", Layer.BatchNorm.of2d(planes * 4), p + ".conv3"));
        String identity = downsample(out, p, in, inplanes, planes, stride);
        out.add(new Node(p + ".add", new Layer.Add(), List.of(p + ".bn3", identity)));
        out.add(node(p + ".relu_2", new Layer.Relu(), p + ".add"));
        return p + ".relu_2";
    }

    private String downsample(List<Node> out, String p, String in, int inplanes, int planes, int stride) {
        if (stride == 1 && inplanes == planes * expansion()) {
            return in;
        }
        out.add(node(p + ".downsample.0", Layer.Conv2d.square(inplanes, planes * expansion(), 1, stride, 0, false), in));
        out.add(node(p + ".downsample.1", Layer.BatchNorm.of2d(planes * expansion()), p + ".downsample.0"));
        return p + ".downsample.1";
    }

    private static Node node(String id, Layer layer, String input) {
        return new Node(id, layer, List.of(input));
    }

    /**
     * fastai's {@code _resnet_meta} cut, -2; ResNeXt and Wide ResNet are not in {@code model_meta}, so fastai cuts
     * them with {@code cut=None}, before avgpool, the last child holding a pooling layer: the same body.
     */
    @Override
    public Cut defaultCut() {
        return inModelMeta ? Cut.index(-2) : Cut.auto();
    }

    @Override
    public String fastaiMeta() {
        return inModelMeta ? "fastai's _resnet_meta: cut=-2, split=_resnet_split (m[0][:6], m[0][6:], head)" : DEFAULT_META;
    }

    /**
     * fastai's {@code _resnet_split}: {@code m[0][:6]} (stem, layer1, layer2) and {@code m[0][6:]} (layer3, layer4);
     * for ResNeXt and Wide ResNet, {@code default_split}: the whole body as one group.
     */
    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        if (!inModelMeta) {
            return List.of(new LayerGroup("body", bodyChildren));
        }
        List<LayerGroup> groups = new ArrayList<>();
        int split = Math.min(6, bodyChildren.size());
        groups.add(new LayerGroup("body.0", bodyChildren.subList(0, split)));
        if (split < bodyChildren.size()) {
            groups.add(new LayerGroup("body.1", bodyChildren.subList(split, bodyChildren.size())));
        }
        return groups;
    }
}
