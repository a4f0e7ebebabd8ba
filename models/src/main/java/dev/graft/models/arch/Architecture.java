package dev.graft.models.arch;

import dev.graft.models.spec.LayerGroup;
import java.util.List;

/**
 * A backbone family member (resnet34, ...) with fastai's model_meta: where to cut it and how to split it.
 *
 * <p>The backbone is described as its top-level children, exactly as torchvision builds it, so the whole network has
 * torchvision's parameter names and counts and a cut keeps the same children fastai keeps.
 */
public interface Architecture {

    /** The name users type, e.g. {@code resnet34}. */
    String name();

    /**
     * The whole torchvision network, classifier included, for an image of {@code inputChannels} channels.
     *
     * @param numClasses outputs of the original classifier (1000 for ImageNet)
     */
    List<Child> children(int inputChannels, int numClasses);

    /** fastai's default cut for this family (ResNets: -2, dropping avgpool and fc). */
    Cut defaultCut();

    /**
     * fastai's split into layer groups for a body made of these children; the head is added as the last group by the
     * caller. ResNets: children 0..5, then 6..; other families: the whole body as one group.
     */
    List<LayerGroup> bodyGroups(List<String> bodyChildren);

    /**
     * Where this family's cut and split come from in fastai 2.x, in one line for the summary: its {@code model_meta}
     * entry, or {@code _default_meta} when {@code model_meta} does not list it.
     */
    default String fastaiMeta() {
        return "not in fastai 2.x's model_meta; Graft's own cut (" + defaultCut() + ") and split";
    }

    /** fastai's {@code _default_meta}, what {@code cnn_learner} uses for a family {@code model_meta} does not list. */
    String DEFAULT_META = "fastai's _default_meta (not in model_meta): cut=None (before the last child holding a "
        + "pooling layer), split=default_split (body, head)";
}
