package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --arch} convnext_tiny and convnext_small through summary and draw (training is the trainer's tests). */
class ConvNeXtArchCommandTest {

    @Test
    void summarySaysTheDefaultMetaAndReadsLikeTorchvisionsModules() {
        var r = SummaryCommandTest.graft("summary", "--arch", "convnext_tiny", "--classes", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("BODY: convnext_tiny cut at features.7.2.add",
            "body        27,818,592 params",
            "The head takes 1536 features = 2 x 768",
            "Layer groups (fastai split): 0 body = features; 1 head = head",
            "Cut and split: fastai's _default_meta (not in model_meta): cut=None (before the last child holding a"
                + " pooling layer), split=default_split (body, head)",
            "Conv2d(3, 96, k=4, s=4, p=0, bias)", "LayerNorm2d(96, eps=1e-06)", "Linear(96, 384) per pixel", "GELU",
            "LayerScale(768)", "StochasticDepth(p=0.1, row)", "Conv2d(384, 768, k=2, s=2, p=0, bias)", "[768, 7, 7]")
            .doesNotContain("E-6", "First conv:");
        assertThat(r.out().lines().filter(l -> l.startsWith("features.1.0 ")).findFirst().orElseThrow())
            .contains("LayerScale(96)", "[96, 56, 56]", " 96 ");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"convnext_tiny, 27818592", "convnext_small, 49453152"})
    void summaryJsonGivesTheBodyCountGroupsAndMeta(String arch, long body) throws Exception {
        var r = SummaryCommandTest.graft("summary", "--arch", arch, "--classes", "10", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.at("/body/params").asLong()).isEqualTo(body);
        assertThat(json.at("/body/end").asText()).isEqualTo("features.7.2.add");
        assertThat(json.at("/head/explanation").asText()).contains("1536 features");
        assertThat(json.get("groups").size()).isEqualTo(2);
        assertThat(json.at("/groups/0/members/0").asText()).isEqualTo("features");
        assertThat(json.get("fastai_meta").asText()).contains("_default_meta", "default_split");
        JsonNode scale = null;
        for (JsonNode layer : json.get("layers")) {
            if (layer.get("name").asText().equals("features.1.0")) {
                scale = layer;
            }
        }
        assertThat(scale).isNotNull();
        assertThat(scale.get("kind").asText()).isEqualTo("layer_scale");
        assertThat(scale.at("/param_shapes/layer_scale").toString()).isEqualTo("[96,1,1]");
    }

    /** torchvision's stem convolution has a bias: fastai's rebuilt nn.Conv2d keeps one, freshly initialised. */
    @Test
    void nInRebuildsTheStemConvolutionWithAFreshBias() throws Exception {
        var r = SummaryCommandTest.graft("summary", "--arch", "convnext_tiny", "--classes", "3", "--n-in", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("First conv: features.0.0 rebuilt for n_in=1 (fastai's _update_first_layer): weight"
            + " the sum of the pretrained RGB weights; bias freshly initialised (uniform within 1/sqrt(fan_in)), the"
            + " pretrained bias is not kept", "Conv2d(1, 96, k=4, s=4, p=0, bias)", "body        27,815,520 params");
        var json = SummaryCommandTest.graft("summary", "--arch", "convnext_small", "--classes", "3", "--n-in", "4", "--json");
        assertThat(new ObjectMapper().readTree(json.out()).get("first_conv").asText())
            .contains("features.0.0 rebuilt for n_in=4", "bias freshly initialised");
    }

    @ParameterizedTest
    @CsvSource({
        "summary --arch convnext_tiny --classes 3 --size 31|the input size is too small: features.6.1 receives [384, 1, 1]",
        "summary --arch convnext_small --classes 3 --size 16|use a larger --size",
        "draw --arch convnext_tiny --classes 3 --size 8 --out target/convnext-too-small.svg|the input size is too small: features.4.1 receives [192, 1, 1]",
    })
    void inputsBelow32PixelsGiveOneLine(String spec) {
        String[] parts = spec.split("\\|");
        var r = SummaryCommandTest.graft(parts[0].split(" "));
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains(parts[1]).doesNotContain("Exception", "\tat ");
        assertThat(r.err().lines().filter(l -> !l.isBlank() && !l.startsWith("Try ")).count()).isEqualTo(1);
        assertThat(Path.of("target", "convnext-too-small.svg")).doesNotExist();
    }

    @Test
    void trainRefusesATooSmallSizeBeforeTheModelRuns(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        SyntheticDataset.generate(data, 3, 24, 2, false, 11);
        Path run = dir.resolve("run");
        var r = SummaryCommandTest.graft("train", "--data", data.toString(), "--arch", "convnext_tiny", "--size", "24",
            "--epochs", "1", "--out", run.toString(), "--no-progress");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("the input size is too small: features.6.1 receives [384, 1, 1] and would produce"
            + " nothing; use a larger --size").doesNotContain("Exception", "\tat ");
        assertThat(r.out()).doesNotContain("data: ", "epoch");
        assertThat(run).doesNotExist();
    }

    /** timm's name for a torchvision convnext name, written out here as timm's module tree reads. */
    private static String timmName(String tv) {
        String[] p = tv.split("\\.");
        if (p[0].equals("classifier")) {
            return (p[1].equals("0") ? "head.norm." : "head.fc.") + p[2];
        }
        int i = Integer.parseInt(p[1]);
        String rest = String.join(".", java.util.Arrays.copyOfRange(p, 2, p.length));
        if (i == 0) {
            return "stem." + rest;
        }
        if (i % 2 == 0) {
            return "stages." + i / 2 + ".downsample." + rest;
        }
        String block = "stages." + (i - 1) / 2 + ".blocks." + p[2] + ".";
        if (p[3].equals("layer_scale")) {
            return block + "gamma";
        }
        return block + java.util.Map.of("0", "conv_dw", "2", "norm", "3", "mlp.fc1", "5", "mlp.fc2").get(p[4]) + "."
            + p[5];
    }

    @Test
    void summaryChecksATimmNamedFileAgainstTheBodyAndRefusesItForAnotherArch(@TempDir Path dir) {
        java.util.Map<String, Tensor> timm = new java.util.LinkedHashMap<>();
        VisionModel.torchvisionParams("convnext_tiny", 1000).forEach((name, p) -> {
            long[] shape = name.endsWith("layer_scale") ? new long[] {p.shape().get(0)} : p.shapeArray();
            timm.put(timmName(name), Tensor.ofFloats(shape, new float[(int) p.size()]));
        });
        Path file = dir.resolve("convnext_tiny.timm.safetensors");
        SafeTensors.write(file, timm, java.util.Map.of());
        var r = SummaryCommandTest.graft("summary", "--arch", "convnext_tiny", "--classes", "3", "--pretrained",
            file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("weights: " + file + " fits the body (" + (timm.size() - 4)
            + " tensors, timm names, 4 ignored)");
        var resnet = SummaryCommandTest.graft("summary", "--arch", "resnet50", "--classes", "3", "--pretrained",
            file.toString());
        assertThat(resnet.code()).isNotZero();
        assertThat(resnet.err()).contains("weights have timm's names (stem.0.weight, ...), which Graft maps only for"
            + " ConvNeXt, not resnet50").doesNotContain("Exception", "\tat ");
        var small = SummaryCommandTest.graft("summary", "--arch", "convnext_small", "--classes", "3", "--pretrained",
            file.toString());
        assertThat(small.code()).isNotZero();
        assertThat(small.err()).contains("weights (timm names) do not fit convnext_small body: 162 missing"
            + " (stages.2.blocks.9.conv_dw.weight");
    }

    @Test
    void drawingShowsTheStemFourStagesAndThreeDownsamplings(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("convnext.svg");
        var r = SummaryCommandTest.graft("draw", "--arch", "convnext_tiny", "--classes", "3", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("convnext_tiny: body in 8 stages (stem, features.1, features.2, features.3,"
            + " features.4, features.5, features.6, features.7), cut at features.7.2.add");
        assertThat(Files.readString(out)).contains("data-body-end=\"features.7.2.add\"", "[768, 7, 7]",
            "9 blocks: features.5.0 … features.5.8", "downsampling: layer_norm2d · conv2d");
    }

    /** convnext_tiny at full width through train, export (its proof against the DJL model), int8 and predict. */
    @ParameterizedTest(name = "{0} at {1} px")
    @CsvSource({"convnext_tiny, 32"})
    void trainsExportsQuantisesAndPredicts(String arch, int size, @TempDir Path dir) throws Exception {
        ArchPipeline.trainExportQuantisePredict(arch, size, dir);
    }
}
