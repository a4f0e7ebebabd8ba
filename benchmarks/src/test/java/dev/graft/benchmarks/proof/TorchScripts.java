package dev.graft.benchmarks.proof;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What the PyTorch-oracle export tests share: Debian's python3 and whether its torch is there, the Python they prepend
 * to their scripts (weights travel between Java and torch as F32 safetensors, read and written in a few lines of plain
 * Python so that no pickle is ever loaded), fastai's head as PyTorch modules, and running a script.
 */
final class TorchScripts {
    /** Debian's interpreter, where python3-torch installs. */
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private TorchScripts() {
    }

    /** Whether {@link #PYTHON} can import torch and torchvision. */
    static boolean torchAvailable() throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, torchvision").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /** Runs {@code script} with {@code args}, asserts it succeeds within 5 minutes, and returns its output. */
    static String run(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), "-c", script));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        return log;
    }

    /** The network's head as PyTorch modules, in order (Graft's head ids are head.0, head.1, ...). */
    static String headModules(Network net) {
        List<String> mods = new ArrayList<>();
        for (Node n : net.headNodes()) {
            Layer l = n.layer();
            if (l instanceof Layer.ConcatPool) {
                mods.add("ConcatPool()");
            } else if (l instanceof Layer.Flatten) {
                mods.add("nn.Flatten()");
            } else if (l instanceof Layer.BatchNorm b) {
                mods.add(String.format(Locale.ROOT, "nn.BatchNorm1d(%d, eps=%s, momentum=%s)", b.features(), b.eps(),
                        b.momentum()));
            } else if (l instanceof Layer.Dropout d) {
                mods.add("nn.Dropout(" + d.p() + ")");
            } else if (l instanceof Layer.Linear lin) {
                mods.add("nn.Linear(" + lin.in() + ", " + lin.out() + ", bias=" + (lin.bias() ? "True" : "False") + ")");
            } else if (l instanceof Layer.Relu) {
                mods.add("nn.ReLU()");
            } else {
                throw new AssertionError("no PyTorch module written for " + l.kind());
            }
        }
        return String.join(", ", mods);
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
