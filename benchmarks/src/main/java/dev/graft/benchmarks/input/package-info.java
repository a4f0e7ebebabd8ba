/**
 * What a benchmarked model is fed: the model file's declared input and metadata, the resolved input shape and
 * normalisation, and real images decoded and preprocessed for end-to-end timing.
 */
package dev.graft.benchmarks.input;

