package dev.graft.models.arch;

import dev.graft.models.GraftException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The architectures Graft knows by name: what {@code --arch} accepts. */
public final class Architectures {
    private static final Map<String, Supplier<Architecture>> KNOWN = new LinkedHashMap<>();

    static {
        KNOWN.put("resnet18", ResNet::resnet18);
        KNOWN.put("resnet34", ResNet::resnet34);
        KNOWN.put("resnet50", ResNet::resnet50);
        KNOWN.put("resnet101", ResNet::resnet101);
        KNOWN.put("resnet152", ResNet::resnet152);
        KNOWN.put("mobilenet_v2", MobileNetV2::mobilenetV2);
        KNOWN.put("mobilenet_v3_large", MobileNetV3::large);
        KNOWN.put("mobilenet_v3_small", MobileNetV3::small);
        KNOWN.put("efficientnet_b0", EfficientNet::b0);
        KNOWN.put("resnext50_32x4d", ResNet::resnext50x32x4d);
        KNOWN.put("resnext101_32x8d", ResNet::resnext101x32x8d);
        KNOWN.put("wide_resnet50_2", ResNet::wideResnet50x2);
        KNOWN.put("wide_resnet101_2", ResNet::wideResnet101x2);
        KNOWN.put("vgg11_bn", Vgg::vgg11bn);
        KNOWN.put("vgg13_bn", Vgg::vgg13bn);
        KNOWN.put("vgg16_bn", Vgg::vgg16bn);
        KNOWN.put("vgg19_bn", Vgg::vgg19bn);
        KNOWN.put("alexnet", AlexNet::alexnet);
        KNOWN.put("densenet121", DenseNet::densenet121);
        KNOWN.put("densenet169", DenseNet::densenet169);
        KNOWN.put("densenet201", DenseNet::densenet201);
        KNOWN.put("densenet161", DenseNet::densenet161);
        KNOWN.put("squeezenet1_0", SqueezeNet::squeezenet10);
        KNOWN.put("squeezenet1_1", SqueezeNet::squeezenet11);
        KNOWN.put("convnext_tiny", ConvNeXt::tiny);
        KNOWN.put("convnext_small", ConvNeXt::small);
    }

    private Architectures() {
    }

    /** The architecture with this name; a clear error listing the known ones otherwise. */
    public static Architecture get(String name) {
        Supplier<Architecture> s = name == null ? null : KNOWN.get(name.trim().toLowerCase(java.util.Locale.ROOT));
        if (s == null) {
            throw new GraftException("unknown architecture '" + name + "' (known: " + String.join(", ", names()) + ")");
        }
        return s.get();
    }

    public static List<String> names() {
        return List.copyOf(KNOWN.keySet());
    }
}
