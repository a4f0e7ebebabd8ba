package dev.graft.trainer.data;

import dev.graft.models.GraftException;

/**
 * Output size and augmentation strengths, defaulting to fastai's {@code item_tfms=Resize(224)} plus
 * {@code batch_tfms=aug_transforms()} (whose random resized crop keeps the whole area: min_scale 1): flip p=0.5, rotate up to 10 degrees, zoom up to 1.1 and
 * brightness/contrast up to 0.2, the last three each applied with probability 0.75. fastai's perspective warp is left
 * out.
 *
 * @param height output height in pixels
 * @param width output width in pixels
 * @param minScale smallest fraction of the image area a random crop keeps (1 keeps all of it)
 * @param flipP probability of a horizontal flip
 * @param maxRotate largest rotation in degrees, either direction
 * @param maxZoom largest zoom factor (1 = no zoom)
 * @param maxLighting largest brightness and contrast change (0 = none)
 * @param pAffine probability that rotation and, separately, zoom are applied
 * @param pLighting probability that brightness and, separately, contrast are applied
 */
public record AugmentConfig(int height, int width, double minScale, double flipP, double maxRotate, double maxZoom,
        double maxLighting, double pAffine, double pLighting) {

    public static final int DEFAULT_SIZE = 224;

    public AugmentConfig {
        if (height < 1 || width < 1) {
            throw new GraftException("Image size must be positive, got " + height + "x" + width);
        }
        check("min scale", minScale, 0.01, 1);
        check("flip probability", flipP, 0, 1);
        check("max rotate", maxRotate, 0, 180);
        check("max zoom", maxZoom, 1, 10);
        check("max lighting", maxLighting, 0, 0.99);
        check("affine probability", pAffine, 0, 1);
        check("lighting probability", pLighting, 0, 1);
    }

    /** fastai's defaults at 224 x 224. */
    public static AugmentConfig defaults() {
        return new AugmentConfig(DEFAULT_SIZE, DEFAULT_SIZE, 1.0, 0.5, 10, 1.1, 0.2, 0.75, 0.75);
    }

    /** No augmentation at all: the training image is the whole picture, resized like validation. */
    public AugmentConfig withoutAugmentation() {
        return new AugmentConfig(height, width, 1, 0, 0, 1, 0, 0, 0);
    }

    public AugmentConfig withSize(int size) {
        return withSize(size, size);
    }

    public AugmentConfig withSize(int newHeight, int newWidth) {
        return new AugmentConfig(newHeight, newWidth, minScale, flipP, maxRotate, maxZoom, maxLighting, pAffine,
                pLighting);
    }

    public AugmentConfig withFlip(double p) {
        return new AugmentConfig(height, width, minScale, p, maxRotate, maxZoom, maxLighting, pAffine, pLighting);
    }

    public AugmentConfig withProbabilities(double affine, double lighting) {
        return new AugmentConfig(height, width, minScale, flipP, maxRotate, maxZoom, maxLighting, affine, lighting);
    }

    private static void check(String name, double v, double min, double max) {
        if (!(v >= min && v <= max)) {
            throw new GraftException("Augmentation " + name + " must be between " + min
                    + " and " + max + ", got " + v);
        }
    }
}
