package dev.graft.trainer.data;

/**
 * Which side of the train/validation split a loader serves; training shuffles, augments and drops the last
 * incomplete batch, validation does none of these, as in fastai.
 */
public enum Split {
    TRAIN,
    VALID
}
