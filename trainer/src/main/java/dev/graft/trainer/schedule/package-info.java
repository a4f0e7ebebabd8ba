/** fastai's schedules as plain arithmetic: one-cycle learning rate and momentum, learning-rate slices, lr_find. */
package dev.graft.trainer.schedule;
