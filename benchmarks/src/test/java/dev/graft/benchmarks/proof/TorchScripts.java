package dev.graft.benchmarks.proof;

/**
 * Python that the PyTorch-oracle export tests prepend to their scripts: weights travel between Java and Debian's
 * torch as F32 safetensors, read and written in a few lines of plain Python so that no pickle is ever loaded.
 */
final class TorchScripts {
    private TorchScripts() {
    }

    /** F32 safetensors {@code read(path) -> dict} and {@code write(path, dict)} in a few lines, never pickle. */
    static final String SAFETENSORS = String.join("\n",
        "import json, struct, torch",
        "def read(path):",
        "    with open(path, 'rb') as f:",
        "        n = struct.unpack('<Q', f.read(8))[0]",
        "        header = json.loads(f.read(n))",
        "        data = f.read()",
        "    return {k: torch.frombuffer(bytearray(data[v['data_offsets'][0]:v['data_offsets'][1]]), dtype=torch.float32)",
        "            .reshape(v['shape']) for k, v in header.items() if k != '__metadata__'}",
        "def write(path, tensors):",
        "    header, blobs, off = {}, [], 0",
        "    for k, t in tensors.items():",
        "        b = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()",
        "        header[k] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}",
        "        off += len(b)",
        "        blobs.append(b)",
        "    h = json.dumps(header).encode()",
        "    h += b' ' * ((8 - len(h) % 8) % 8)",
        "    with open(path, 'wb') as f:",
        "        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))",
        "");
}
