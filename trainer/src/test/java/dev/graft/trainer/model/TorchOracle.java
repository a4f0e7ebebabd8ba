package dev.graft.trainer.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's python3-torch and python3-torchvision as a test-time oracle: a script that exchanges tensors with the test
 * as safetensors files (read and written by a few lines of Python here, never pickle). Tests skip where it is not
 * installed; test.sh installs it.
 */
final class TorchOracle {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    /**
     * Python functions {@code read(path) -> dict} for F32 safetensors files and {@code write(path, dict, dtype='F32')}
     * writing F32 or F64 ones.
     */
    static final String SAFETENSORS = String.join("\n",
        "import json, struct, torch",
        "def read(path):",
        "    with open(path, 'rb') as f:",
        "        n = struct.unpack('<Q', f.read(8))[0]",
        "        header = json.loads(f.read(n))",
        "        data = f.read()",
        "    out = {}",
        "    for k, v in header.items():",
        "        if k == '__metadata__':",
        "            continue",
        "        assert v['dtype'] == 'F32', k",
        "        a, b = v['data_offsets']",
        "        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v['shape'])",
        "    return out",
        "def write(path, tensors, dtype='F32'):",
        "    torch_type, code = {'F32': (torch.float32, '<f4'), 'F64': (torch.float64, '<f8')}[dtype]",
        "    header, blobs, off = {}, [], 0",
        "    for k, t in tensors.items():",
        "        b = t.detach().contiguous().to(torch_type).numpy().astype(code).tobytes()",
        "        header[k] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}",
        "        off += len(b)",
        "        blobs.append(b)",
        "    h = json.dumps(header).encode()",
        "    h += b' ' * ((8 - len(h) % 8) % 8)",
        "    with open(path, 'wb') as f:",
        "        f.write(struct.pack('<Q', len(h)))",
        "        f.write(h)",
        "        for b in blobs:",
        "            f.write(b)",
        "");

    /**
     * A Python function {@code write64(path, dict)} writing F64 safetensors (with {@link #SAFETENSORS}' writer), for
     * float64 results that must not pass through float32 on their way back.
     */
    static final String WRITE64 = String.join("\n",
        "def write64(path, tensors):",
        "    write(path, tensors, 'F64')");

    private TorchOracle() {
    }

    /** True where {@code import torch, torchvision} works. */
    static boolean available() {
        try {
            return Files.isExecutable(PYTHON) && run("import torch, torchvision", 60).exitCode() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    record Result(int exitCode, String output) {
    }

    /** Runs a script (the safetensors helpers are prepended) and returns its exit code and combined output. */
    static Result script(String body, int timeoutSeconds) throws IOException, InterruptedException {
        return run(SAFETENSORS + body, timeoutSeconds);
    }

    private static Result run(String script, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", script).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
