/**
 * Images in, normalised float tensors out: datasets, decoding, fastai's default augmentations and a parallel loader.
 *
 * <p>The package stays free of DJL on purpose. It produces plain {@code float[]} batches (NCHW, ImageNet-normalised)
 * and label vectors, so the trainer can turn them into NDArrays on whatever device it uses, and the same decoding and
 * preprocessing code can serve the edge runtime and tests without loading a native engine.
 *
 * <p>Every problem with the user's data that can be found by looking at the file system (a missing folder, a single
 * class, a CSV naming missing files, a row that does not parse) is reported as a one-line
 * {@link dev.graft.models.GraftException} before training starts. A file that only turns out to be unreadable when it
 * is decoded is reported once and skipped, so one corrupt photo does not end a long run.
 */
package dev.graft.trainer.data;
