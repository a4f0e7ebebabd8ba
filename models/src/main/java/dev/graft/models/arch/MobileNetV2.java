package dev.graft.models.arch;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import java.util.List;

/**
 * torchvision's MobileNetV2 (width 1.0): inverted residual blocks of 1x1 expansion, 3x3 depthwise convolution and a
 * linear 1x1 projection, ReLU6 throughout, a residual sum where stride and channels allow.
 *
 * <p>Module paths are torchvision's ({@code features.3.conv.1.0.weight}); the network has 3,504,872 parameters at
 * 1000 classes, of which {@code features} (the body, ending with 1280 channels) holds 2,223,872. torchvision pools
 * with a function call rather than a module, so its {@code children()} are {@code features} and {@code classifier}
 * and fastai users cut it with {@code cut=-1}: that is the default here. The pooling and flattening travel with
 * {@code classifier} ({@code classifier.pool}, {@code classifier.flatten}).
 */
public final class MobileNetV2 implements Architecture {
    /** t (expansion), c (output channels), n (blocks), s (stride of the first block). */
    private static final int[][] SETTING = {
        {1, 16, 1, 1},
        {6, 24, 2, 2},
        {6, 32, 3, 2},
        {6, 64, 4, 2},
        {6, 96, 3, 1},
        {6, 160, 3, 2},
        {6, 320, 1, 1},
    };
    private static final int FEATURES = 19;
    /** features.7 is the first block at output stride 16. */
    private static final int SPLIT = 7;

    public static MobileNetV2 mobilenetV2() {
        return new MobileNetV2();
    }

    private MobileNetV2() {
    }

    @Override
    public String name() {
        return "mobilenet_v2";
    }

    @Override
    public List<Child> children(int inputChannels, int numClasses) {
        Layer.BatchNorm norm = Layer.BatchNorm.of2d(1);
        Blocks f = new Blocks("input");
        f.convNormAct("features.0", inputChannels, 32, 3, 2, 1, norm, new Layer.Relu6());
        int in = 32;
        int index = 1;
        for (int[] s : SETTING) {
            int t = s[0];
            int out = s[1];
            for (int i = 0; i < s[2]; i++) {
                int stride = i == 0 ? s[3] : 1;
                String p = "features." + index++;
                String blockIn = f.last();
                int hidden = (int) Math.round(in * (double) t);
                int j = 0;
                if (t != 1) {
                    f.convNormAct(p + ".conv." + j++, in, hidden, 1, 1, 1, norm, new Layer.Relu6());
                }
                f.convNormAct(p + ".conv." + j++, hidden, hidden, 3, stride, hidden, norm, new Layer.Relu6());
                f.add(p + ".conv." + j++, Layer.Conv2d.square(hidden, out, 1, 1, 0, false));
                f.add(p + ".conv." + j, Layer.BatchNorm.of2d(out));
                if (stride == 1 && in == out) {
                    f.add(p + ".add", new Layer.Add(), blockIn, f.last());
                }
                in = out;
            }
        }
        String last = f.convNormAct("features." + index, in, 1280, 1, 1, 1, norm, new Layer.Relu6());
        Blocks c = new Blocks(last);
        c.add("classifier.pool", new Layer.AvgPool());
        c.add("classifier.flatten", new Layer.Flatten());
        c.add("classifier.0", new Layer.Dropout(0.2));
        c.add("classifier.1", new Layer.Linear(1280, numClasses, true));
        return List.of(new Child("features", f.nodes()), new Child("classifier", c.nodes()));
    }

    /** fastai users pass {@code cut=-1}: {@code features} alone. */
    @Override
    public Cut defaultCut() {
        return Cut.index(-1);
    }

    @Override
    public List<LayerGroup> bodyGroups(List<String> bodyChildren) {
        return Blocks.featureGroups(bodyChildren, FEATURES, SPLIT);
    }
}
