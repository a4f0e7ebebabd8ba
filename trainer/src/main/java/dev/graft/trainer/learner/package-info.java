/**
 * fastai's Learner on the DJL PyTorch engine: Adam with per-group learning rates and momentum, freezing with
 * train_bn semantics, one-cycle training, fine_tune, lr_find, the epoch table and checkpoints.
 *
 * <p>The loop is written by hand rather than with DJL's {@code Trainer} because fastai changes Adam's beta1 every step
 * (one-cycle momentum), keeps a learning rate per layer group and excludes BatchNorm and bias parameters from weight
 * decay; DJL's optimisers can express none of these.
 */
package dev.graft.trainer.learner;
