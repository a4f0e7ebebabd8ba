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
}
