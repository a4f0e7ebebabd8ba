package dev.graft.cli;

import static dev.graft.cli.SummaryCommandTest.graft;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.cli.SummaryCommandTest.Run;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch files where safetensors were accepted: {@code graft convert}, and {@code graft export} from a {@code .pth}.
 * The {@code .pth} files are written at test time by Debian's torch ({@code /usr/bin/python3}), a test-time oracle
 * only; without it these tests skip, except in CI, where they fail.
 */
class ConvertCommandTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    /** Reads the golden fastai safetensors into a state dict and saves it with torch.save, zip and legacy. */
    private static final String WRITE_PTH = String.join("\n",
        "import json, struct, sys, torch",
        "src, out = sys.argv[1], sys.argv[2]",
        "with open(src, 'rb') as f:",
        "    n = struct.unpack('<Q', f.read(8))[0]",
        "    header = json.loads(f.read(n))",
        "    data = f.read()",
        "types = {'F32': torch.float32, 'I64': torch.int64}",
        "sd = {}",
        "for k, v in header.items():",
        "    if k == '__metadata__':",
        "        continue",
        "    a, b = v['data_offsets']",
        "    sd[k] = torch.frombuffer(bytearray(data[a:b]), dtype=types[v['dtype']]).reshape(v['shape'])",
        "torch.save({'model': sd}, out + '/stage-1.pth')",
        "torch.save({'state_dict': {'module.' + k: t for k, t in sd.items()}}, out + '/legacy.pth',"
            + " _use_new_zipfile_serialization=False)",
        "");

    @TempDir
    static Path dir;

    static Path golden;

    @BeforeAll
    static void writeFixtures() throws Exception {
        golden = Path.of(System.getProperty("graft.shared.dir", "../shared"), "golden",
            "resnet18_c3_64.fastai.safetensors");
        boolean torch = Files.isExecutable(PYTHON) && python("import torch").isEmpty();
        if (!torch || !Files.isRegularFile(golden)) {
            String why = !torch ? "/usr/bin/python3 with torch is not installed" : golden + " is missing";
            if ("true".equals(System.getenv("CI"))) {
                fail(why + " (CI needs it; test.sh installs the oracles)");
            }
            assumeTrue(false, why);
        }
        String err = python(WRITE_PTH, golden.toString(), dir.toString());
        assertThat(err).as("python3 wrote the fixtures").isEmpty();
    }

    /** Runs a script; returns its output when it failed, else "". */
    private static String python(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(PYTHON.toString(), "-c", script));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? "" : out.isEmpty() ? "exit " + p.exitValue() : out;
    }

    @Test
    void convertWritesEveryTensorBitForBitWithItsSource() throws Exception {
        for (String name : List.of("stage-1.pth", "legacy.pth")) {
            Path out = dir.resolve(name + ".safetensors");
            Run r = graft("convert", dir.resolve(name).toString(), out.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("converted", "132 tensors", out.toString());
            try (TensorFile expected = SafeTensors.open(golden); TensorFile actual = SafeTensors.open(out)) {
                assertThat(actual.names()).containsExactlyElementsOf(expected.names());
                for (String tensor : expected.names()) {
                    Tensor e = expected.get(tensor);
                    Tensor a = actual.get(tensor);
                    assertThat(a.dtype()).as(tensor).isEqualTo(e.dtype());
                    assertThat(a.shape()).as(tensor).isEqualTo(e.shape());
                    assertThat(a.data()).as(tensor).isEqualTo(e.data());
                }
                assertThat(actual.metadata()).containsEntry("graft.converted_from", name)
                    .containsEntry("graft.source_format", name.startsWith("legacy") ? "torch-legacy" : "torch-zip")
                    .containsKey("graft.source_sha256");
            }
        }
    }

    @Test
    void exportFromAPthGivesExactlyTheProbabilitiesOfTheSafetensorsExport() throws Exception {
        Path fromPth = dir.resolve("pth.onnx");
        Path fromSafetensors = dir.resolve("safetensors.onnx");
        Run a = graft("export", "--weights", dir.resolve("stage-1.pth").toString(), "--arch", "resnet18", "--classes",
            "3", "--size", "64", "--out", fromPth.toString());
        assertThat(a.code()).as(a.err()).isZero();
        Run b = graft("export", "--weights", golden.toString(), "--arch", "resnet18", "--classes", "3", "--size", "64",
            "--out", fromSafetensors.toString());
        assertThat(b.code()).as(b.err()).isZero();
        Path image = dir.resolve("img");
        Run synth = graft("data", "synth", "--out", image.toString(), "--classes", "3", "--size", "64", "--per-class",
            "2", "--seed", "3");
        assertThat(synth.code()).as(synth.err()).isZero();
        List<String> images;
        try (Stream<Path> files = Files.walk(image)) {
            images = files.filter(f -> f.toString().endsWith(".png")).map(Path::toString).sorted().toList();
        }
        List<String> args = new java.util.ArrayList<>(List.of("predict", fromPth.toString(), "--json", "--top", "3"));
        args.addAll(images);
        Run p1 = graft(args.toArray(String[]::new));
        args.set(1, fromSafetensors.toString());
        Run p2 = graft(args.toArray(String[]::new));
        assertThat(p1.code()).as(p1.err()).isZero();
        assertThat(p2.code()).as(p2.err()).isZero();
        assertThat(images).hasSizeGreaterThan(3);
        String timing = ",\"millis\":[0-9.]+";
        assertThat(p1.out()).contains("\"predictions\"");
        assertThat(p1.out().replaceAll(timing, "")).isEqualTo(p2.out().replaceAll(timing, ""));
    }

    @Test
    void summaryChecksAPthLikeSafetensors() {
        Run r = graft("summary", "--arch", "resnet18", "--classes", "3", "--weights",
            dir.resolve("legacy.pth").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("fits the whole model (110 tensors");
        Run wrong = graft("summary", "--arch", "resnet34", "--classes", "3", "--weights",
            dir.resolve("stage-1.pth").toString());
        assertThat(wrong.code()).isNotZero();
        assertThat(wrong.err().strip()).doesNotContain("\n").doesNotContain("Exception");
    }

    @Test
    void convertRefusesToOverwriteItsInputOrANonRegularTarget() throws Exception {
        Path in = dir.resolve("stage-1.pth");
        byte[] before = Files.readAllBytes(in);
        Path hardLink = dir.resolve("same-file.safetensors");
        Files.deleteIfExists(hardLink);
        Files.createLink(hardLink, in);
        Path symlink = dir.resolve("link.safetensors");
        Files.deleteIfExists(symlink);
        Files.createSymbolicLink(symlink, dir.resolve("elsewhere.safetensors"));
        for (Map.Entry<String, String> c : Map.of(in.toString(), "same file as the input", hardLink.toString(), "same file as the input",
                symlink.toString(), "symbolic link", "/dev/null", "not a regular file").entrySet()) {
            Run r = graft("convert", in.toString(), c.getKey());
            assertThat(r.code()).as(c.getKey()).isNotZero();
            assertThat(r.err().strip()).as(c.getKey()).contains(c.getValue()).doesNotContain("\n");
        }
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
        assertThat(Files.isSymbolicLink(symlink)).isTrue();
        assertThat(dir.resolve("elsewhere.safetensors")).doesNotExist();
    }

    @Test
    void convertRefusesWhatIsNotAWeightFile() throws Exception {
        Path text = dir.resolve("notes.pth");
        Files.writeString(text, "not a checkpoint");
        Path out = dir.resolve("notes.safetensors");
        Run r = graft("convert", text.toString(), out.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err().strip()).doesNotContain("\n").doesNotContain("Exception");
        assertThat(out).doesNotExist();
    }

    @Test
    void exportPklGivesTheModelItsLabelsAndItsNormalisationAndTorchvisionFilesFitTheBody() throws Exception {
        // the models module's fixture script writes an export.pkl-like Learner (stand-ins under fastai's names)
        Path script = Path.of("../models/src/test/resources/dev/graft/models/weights/torch/make_fixtures.py");
        assertThat(script).isRegularFile();
        Path fixtures = dir.resolve("fixtures");
        Files.createDirectories(fixtures);
        assertThat(python(Files.readString(script), fixtures.toString())).as("make_fixtures.py").isEmpty();
        for (String file : List.of("resnet18.zip.pth", "resnet18.legacy.pth")) {
            Run body = graft("summary", "--arch", "resnet18", "--classes", "4", "--pretrained",
                fixtures.resolve(file).toString());
            assertThat(body.code()).as(body.err()).isZero();
            assertThat(body.out()).contains("fits the body (100 tensors, graft names, 2 ignored)");
        }
        Path onnx = dir.resolve("pets.onnx");
        Run r = graft("export", "--weights", fixtures.resolve("export.pkl").toString(), "--arch", "resnet18",
            "--classes", "4", "--size", "64", "--out", onnx.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("labels: 4 classes from", "(fastai's dls.vocab)",
            "normalisation: mean [0.485", "(fastai's Normalize)");
        Path image = dir.resolve("pkl-img");
        assertThat(graft("data", "synth", "--out", image.toString(), "--classes", "2", "--size", "64", "--per-class",
            "1", "--seed", "5").code()).isZero();
        String png;
        try (Stream<Path> files = Files.walk(image)) {
            png = files.filter(f -> f.toString().endsWith(".png")).map(Path::toString).sorted().findFirst().orElseThrow();
        }
        Run p = graft("predict", onnx.toString(), png, "--top", "4");
        assertThat(p.code()).as(p.err()).isZero();
        assertThat(p.out()).contains("cat ", "dog ", "say \"hi\" ", "café ");
    }
}
