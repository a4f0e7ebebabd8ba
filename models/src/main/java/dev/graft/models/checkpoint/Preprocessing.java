package dev.graft.models.checkpoint;

import dev.graft.models.GraftException;
import java.util.List;

/**
 * How an image becomes the model's input tensor: what a runtime must repeat exactly to get the accuracy seen in
 * validation.
 *
 * @param height input height the model was trained at
 * @param width input width
 * @param resize {@code crop} (short side to size, centre crop: fastai's validation transform), {@code squish} or
 *     {@code pad}
 * @param mean per-channel mean subtracted after scaling pixels to [0, 1]
 * @param std per-channel standard deviation divided by
 * @param channels order of the input channels, {@code RGB}
 */
public record Preprocessing(int height, int width, String resize, List<Double> mean, List<Double> std, String channels) {
    /** ImageNet statistics, fastai's default normalisation for pretrained bodies. */
    public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);

    public Preprocessing {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        if (height <= 0 || width <= 0) {
            throw new GraftException("input size must be positive, not " + height + "x" + width);
        }
        if (!List.of("crop", "squish", "pad").contains(resize)) {
            throw new GraftException("resize method must be crop, squish or pad, not '" + resize + "'");
        }
        if (mean.size() != std.size() || mean.isEmpty()) {
            throw new GraftException("mean and std need one value per channel, got " + mean.size() + " and " + std.size());
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new GraftException("std values must be positive, got " + std);
            }
        }
    }

    /** fastai's defaults for an RGB model at this size: centre crop, ImageNet normalisation. */
    public static Preprocessing imagenet(int height, int width) {
        return new Preprocessing(height, width, "crop", IMAGENET_MEAN, IMAGENET_STD, "RGB");
    }
}
