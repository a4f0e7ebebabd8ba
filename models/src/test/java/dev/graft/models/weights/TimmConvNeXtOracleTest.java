package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * torchvision's convnext_tiny weights, renamed in Python to timm's names (bare, as safetensors and as a
 * {@code torch.save} file, in timm's {@code conv_mlp} shapes, and as fastai's learner over a timm model saves them), load
 * through Graft's loader to exactly the tensors the torchvision-named file gives. Needs Debian's python3-torch (skips
 * without it, fails where {@code CI=true}); see {@code make_timm_convnext.py}.
 */
class TimmConvNeXtOracleTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    static Path dir;

    private final Network tiny = VisionModel.builder().setArch("convnext_tiny").setClasses(3).build();

    @BeforeAll
    static void writeFixtures() throws IOException, InterruptedException {
        Fixtures.requireTool(Files.isExecutable(PYTHON) && python("-c", "import torch, torchvision").isEmpty(),
            "python3-torch / python3-torchvision not installed");
        Path script = dir.resolve("make_timm_convnext.py");
        try (InputStream in = TimmConvNeXtOracleTest.class.getResourceAsStream("torch/make_timm_convnext.py")) {
            Files.write(script, in.readAllBytes());
        }
        String error = python(script.toString(), dir.toString());
        assertThat(error).as("make_timm_convnext.py").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"timm.safetensors", "timm.pth", "timm-conv-mlp.safetensors"})
    void timmNamedFilesLoadToTheTorchvisionNamedTensors(String file) {
        try (TensorFile torchvision = WeightFiles.open(dir.resolve("convnext_tiny.torchvision.safetensors"));
             TensorFile timm = WeightFiles.open(dir.resolve("convnext_tiny." + file))) {
            WeightLoader.Loaded want = WeightLoader.load(tiny, torchvision.all(), LoadMode.BODY);
            WeightLoader.Loaded got = WeightLoader.load(tiny, timm.all(), LoadMode.BODY);
            assertThat(want.naming()).isEqualTo(Naming.GRAFT);
            assertThat(got.naming()).isEqualTo(Naming.TIMM);
            assertThat(got.ignored()).containsExactlyInAnyOrder("head.norm.weight", "head.norm.bias", "head.fc.weight",
                "head.fc.bias");
            assertSameTensors(got.tensors(), want.tensors());
            assertThat(got.tensors()).hasSize(tiny.bodyNodes().stream().mapToInt(n -> n.layer().params().size()).sum());
        }
    }

    @Test
    void aFastaiLearnerOverTimmLoadsWholeWithTimmsUnusedHeadNormIgnored() {
        try (TensorFile torchvision = WeightFiles.open(dir.resolve("convnext_tiny.torchvision.safetensors"));
             TensorFile fastai = WeightFiles.open(dir.resolve("convnext_tiny.fastai-timm.pth"))) {
            WeightLoader.Loaded want = WeightLoader.load(tiny, torchvision.all(), LoadMode.BODY);
            WeightLoader.Loaded all = WeightLoader.load(tiny, fastai.all(), LoadMode.ALL);
            assertThat(all.naming()).isEqualTo(Naming.FASTAI_TIMM);
            assertThat(all.ignored()).containsExactlyInAnyOrder("0.model.head.norm.weight", "0.model.head.norm.bias");
            assertThat(all.tensors().keySet()).containsExactlyInAnyOrderElementsOf(tiny.params().keySet());
            for (Map.Entry<String, Tensor> e : want.tensors().entrySet()) {
                assertThat(all.tensors().get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(all.tensors().get("head.8.weight")).isEqualTo(fastai.get("1.8.weight"));
            WeightLoader.Loaded body = WeightLoader.load(tiny, fastai.all(), LoadMode.BODY);
            assertSameTensors(body.tensors(), want.tensors());
        }
    }

    @Test
    void theFirstConvolutionIsAdaptedForNInAsFromTorchvisionNames() {
        Network oneChannel = VisionModel.builder().setArch("convnext_tiny").setClasses(3).optInputChannels(1).build();
        try (TensorFile torchvision = WeightFiles.open(dir.resolve("convnext_tiny.torchvision.safetensors"));
             TensorFile timm = WeightFiles.open(dir.resolve("convnext_tiny.timm.safetensors"))) {
            WeightLoader.Loaded want = WeightLoader.load(oneChannel, torchvision.all(), LoadMode.BODY);
            WeightLoader.Loaded got = WeightLoader.load(oneChannel, timm.all(), LoadMode.BODY);
            assertThat(got.firstConvAdapted()).isTrue();
            assertThat(got.ignored()).contains("features.0.0.bias");
            assertThat(got.tensors()).doesNotContainKey("features.0.0.bias");
            assertSameTensors(got.tensors(), want.tensors());
        }
    }

    private static void assertSameTensors(Map<String, Tensor> got, Map<String, Tensor> want) {
        assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(want.keySet());
        for (Map.Entry<String, Tensor> e : want.entrySet()) {
            assertThat(got.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    /** Runs Debian's python; "" on success, else its output. */
    private static String python(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = PYTHON.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? "" : new String(output, StandardCharsets.UTF_8) + " (exit " + p.exitValue() + ")";
    }
}
