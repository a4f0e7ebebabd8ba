package dev.graft.models.weights;

/**
 * How the keys of a weights file are written.
 *
 * <p>Graft's own names are torchvision's module paths for the body ({@code layer1.0.bn1.running_mean}) and
 * {@code head.<i>} for the head; fastai's {@code learn.model.state_dict()} numbers the two halves of its
 * {@code nn.Sequential(body, head)} instead ({@code 0.4.0.bn1.running_mean}, {@code 1.4.weight}).
 */
public enum Naming {
    /** Graft's names, which are torchvision's for the body. */
    GRAFT,
    /** fastai's {@code learn.model.state_dict()} keys. */
    FASTAI
}
