package dev.graft.models.arch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.spec.Param;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Compares every parameter and buffer name and shape, in order, with torchvision's own {@code state_dict()} for every
 * known architecture, where Debian's python3-torch
 * and python3-torchvision are installed (test.sh installs them; elsewhere this test skips).
 */
class TorchvisionOracleTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void namesAndShapesEqualTorchvisions() throws Exception {
        dev.graft.models.testing.Fixtures.requireTool(Files.isExecutable(PYTHON) && run("import torch, torchvision").exitCode == 0,
            "python3-torch / python3-torchvision not installed");
        String script = String.join("\n",
            "import torchvision",
            "for arch in ['" + String.join("', '", Architectures.names()) + "']:",
            "    m = getattr(torchvision.models, arch)()",
            "    for k, v in m.state_dict().items():",
            "        if not k.endswith('num_batches_tracked'):",
            "            print(arch, k, ','.join(str(d) for d in v.shape))");
        Result r = run(script);
        assertThat(r.exitCode).as(r.output).isZero();
        Map<String, Map<String, String>> torch = new LinkedHashMap<>();
        for (String line : r.output.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 3) {
                torch.computeIfAbsent(f[0], a -> new LinkedHashMap<>()).put(f[1], f[2]);
            }
        }
        assertThat(torch).hasSize(Architectures.names().size());
        for (String arch : torch.keySet()) {
            Map<String, String> ours = new LinkedHashMap<>();
            for (Map.Entry<String, Param> e : VisionModel.torchvisionParams(arch, 1000).entrySet()) {
                List<String> dims = new ArrayList<>();
                e.getValue().shape().forEach(d -> dims.add(Integer.toString(d)));
                ours.put(e.getKey(), String.join(",", dims));
            }
            // same names, same shapes, same order
            assertThat(ours).as(arch).containsExactlyEntriesOf(torch.get(arch));
        }
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", script).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
