package dev.graft.models.weights;

/** What a weights file is expected to cover. */
public enum LoadMode {
    /**
     * Every parameter and buffer of the network, body and head: a trained model (fastai state dict, Graft
     * checkpoint).
     */
    ALL,
    /**
     * The body only: a pretrained backbone. Keys of the children the cut removed ({@code fc.*}) are ignored, and the
     * head keeps its own initialisation.
     */
    BODY
}
