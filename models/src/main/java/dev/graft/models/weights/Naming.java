package dev.graft.models.weights;

/**
 * How the keys of a weights file are written.
 *
 * <p>Graft's own names are torchvision's module paths for the body ({@code layer1.0.bn1.running_mean}) and
 * {@code head.<i>} for the head; fastai's {@code learn.model.state_dict()} numbers the two halves of its
 * {@code nn.Sequential(body, head)} instead ({@code 0.4.0.bn1.running_mean}, {@code 1.4.weight}).
 * timm names ConvNeXt's modules its own way, and fastai wraps a timm model once more; both are read too.
 */
public enum Naming {
    /** Graft's names, which are torchvision's for the body. */
    GRAFT,
    /** fastai's {@code learn.model.state_dict()} keys. */
    FASTAI,
    /** timm's ConvNeXt names ({@code stem.0}, {@code stages.N.blocks.M.conv_dw}, ...), mapped by {@link TimmNames}. */
    TIMM,
    /**
     * fastai's {@code learn.model.state_dict()} keys for a learner over a timm model: fastai's {@code TimmBody} holds
     * the timm model as {@code model}, so the body's keys are {@code 0.model.<timm name>}; the head's are
     * {@code 1.<i>}.
     */
    FASTAI_TIMM
}
