package dev.graft.models.weights;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import java.util.Optional;

/**
 * fastai's rule for feeding a pretrained 3-channel body images of another channel count.
 *
 * <p>The first convolution's pretrained weight [out, 3, kh, kw] becomes [out, n_in, kh, kw]: for one channel, the sum
 * over the three; for two, the first two times 1.5; for more than three, the three pretrained channels then zeros.
 */
public final class FirstConv {
    private FirstConv() {
    }

    /** The network's first convolution, the one that reads the image. */
    public static Optional<Node> of(Network network) {
        return network.nodes().stream().filter(n -> n.layer() instanceof Layer.Conv2d).findFirst()
            .filter(n -> n.inputs().contains(Network.INPUT));
    }

    /** Adapts a pretrained [out, 3, kh, kw] weight to {@code nIn} input channels. */
    public static Tensor adapt(Tensor pretrained, int nIn) {
        long[] s = pretrained.shape();
        if (s.length != 4 || s[1] != 3) {
            throw new IllegalArgumentException("first-conv adaptation needs a [out, 3, kh, kw] weight, got " + java.util.Arrays.toString(s));
        }
        int out = (int) s[0];
        int k = (int) (s[2] * s[3]);
        float[] w = pretrained.toFloatArray();
        float[] r = new float[out * nIn * k];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < nIn; c++) {
                for (int i = 0; i < k; i++) {
                    float v;
                    if (nIn == 1) {
                        v = w[(o * 3) * k + i] + w[(o * 3 + 1) * k + i] + w[(o * 3 + 2) * k + i];
                    } else if (nIn == 2) {
                        v = w[(o * 3 + c) * k + i] * 1.5f;
                    } else {
                        v = c < 3 ? w[(o * 3 + c) * k + i] : 0f;
                    }
                    r[(o * nIn + c) * k + i] = v;
                }
            }
        }
        return Tensor.ofFloats(new long[] {out, nIn, s[2], s[3]}, r);
    }
}
