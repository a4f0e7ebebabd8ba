package dev.graft.trainer.data;

import dev.graft.models.GraftException;
import java.util.Arrays;

/**
 * Per-channel mean and standard deviation; pretrained bodies only work on inputs normalised like their training
 * data, which for every torchvision/timm ImageNet model is {@link #IMAGENET}.
 */
public final class Normalization {
    /** ImageNet statistics, fastai's {@code imagenet_stats}. */
    public static final Normalization IMAGENET =
            new Normalization(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    private final float[] mean;
    private final float[] std;

    public Normalization(float[] mean, float[] std) {
        if (mean.length != 3 || std.length != 3) {
            throw new GraftException("Normalisation needs three means and three standard deviations (R, G, B)");
        }
        for (float s : std) {
            if (!(s > 0f) || !Float.isFinite(s)) {
                throw new GraftException("Normalisation standard deviations must be positive, got "
                        + Arrays.toString(std));
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    public float mean(int channel) {
        return mean[channel];
    }

    public float std(int channel) {
        return std[channel];
    }

    /** The normalised value of an 8-bit sample in {@code channel}. */
    public float apply(int channel, int value) {
        return (value / 255f - mean[channel]) / std[channel];
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
