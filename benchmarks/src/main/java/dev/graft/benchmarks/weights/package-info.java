/**
 * How fast and how lean weight files are read: PyTorch's own formats against safetensors, measured side by side in
 * one process so the ratio means something on any machine.
 */
package dev.graft.benchmarks.weights;
