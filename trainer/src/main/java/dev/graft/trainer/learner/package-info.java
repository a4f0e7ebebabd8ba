/**
 * fastai's Learner on the DJL PyTorch engine: Adam with per-group learning rates and momentum, freezing with
 * train_bn semantics, one-cycle training, fine_tune and lr_find, and the callbacks that print, record, measure and
 * checkpoint a run ({@link dev.graft.trainer.learner.Callback}).
 *
 * <p>The loop is written by hand rather than with DJL's {@code Trainer} because fastai changes Adam's beta1 every step
 * (one-cycle momentum), keeps a learning rate per layer group and excludes BatchNorm and bias parameters from weight
 * decay; DJL's optimisers can express none of these. What DJL's {@code TrainingListener} does there, callbacks do here,
 * with fastai's events.
 */
package dev.graft.trainer.learner;
