/**
 * PyTorch's own checkpoint formats, read without Python and without running anything in them.
 *
 * <p>{@code torch.save} writes a pickle, and unpickling in Python means importing and calling whatever the file names:
 * a downloaded checkpoint can run any program. This package reads the two {@code torch.save} layouts (the zip archive
 * of PyTorch 1.6 and later, and the older single-stream format) with a small pickle machine of its own that never
 * loads, constructs or calls anything by name: the few globals a state dict needs ({@code OrderedDict}, the storage
 * types, the tensor-rebuilding functions) are implemented here in Java, and every other global becomes an inert
 * placeholder that only records its name and arguments. A file is accepted only when what results is a state dict or a
 * tree of {@code nn.Module}s holding tensors; anything else is refused in one line naming what the file asked for.
 *
 * <p>It knows nothing of Graft's own tensor types, so that {@code dev.graft.models.weights} can build on it without a
 * package cycle: it hands out {@link dev.graft.models.weights.torch.RawTensor}s (a dtype, a shape and little-endian
 * bytes, usually a slice of a read-only mapping of the file).
 */
package dev.graft.models.weights.torch;
