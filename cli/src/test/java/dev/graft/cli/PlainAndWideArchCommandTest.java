package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.trainer.data.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --arch} resnext*, wide_resnet*, vgg*_bn and alexnet through the commands. */
class PlainAndWideArchCommandTest {

    @Test
    void summaryOfVggShowsFeaturesAsTheBodyAndFastaisVggMeta() {
        var r = SummaryCommandTest.graft("summary", "--arch", "vgg16_bn", "--classes", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("BODY: vgg16_bn cut at features.43", "Conv2d(3, 64, k=3, s=1, p=1, bias)",
            "The head takes 1024 features = 2 x 512", "body        14,723,136 params",
            "0 body.0 = features.0, features.1", "1 body.1 = features.22, features.23",
            "Cut and split: fastai's _vgg_meta: cut=-2, split=_vgg_split")
            .doesNotContain("First conv:");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "resnext50_32x4d, 22979904, 2048, 2, _default_meta",
        "wide_resnet50_2, 66834240, 2048, 2, _default_meta",
        "vgg19_bn, 20035392, 512, 3, _vgg_meta",
        "alexnet, 2469696, 256, 3, _alexnet_meta",
    })
    void summaryJsonGivesTheBodyCountGroupsAndMeta(String arch, long body, int channels, int groups, String meta)
            throws Exception {
        var r = SummaryCommandTest.graft("summary", "--arch", arch, "--classes", "10", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.at("/body/params").asLong()).isEqualTo(body);
        assertThat(json.at("/head/explanation").asText()).contains((2 * channels) + " features");
        assertThat(json.get("groups").size()).isEqualTo(groups);
        assertThat(json.get("fastai_meta").asText()).contains(meta);
    }

    @Test
    void nInShowsWhatBecomesOfTheFirstConvolutionsBias() throws Exception {
        var r = SummaryCommandTest.graft("summary", "--arch", "alexnet", "--classes", "3", "--n-in", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("First conv: features.0 rebuilt for n_in=1 (fastai's _update_first_layer): weight the"
            + " sum of the pretrained RGB weights; bias freshly initialised");
        var json = SummaryCommandTest.graft("summary", "--arch", "resnext50_32x4d", "--classes", "3", "--n-in", "4", "--json");
        assertThat(new ObjectMapper().readTree(json.out()).get("first_conv").asText())
            .contains("conv1 rebuilt for n_in=4", "then zeros for channels 4..4; no bias");
    }

    @ParameterizedTest
    @CsvSource({
        "summary --arch alexnet --classes 3 --size 62|the input size is too small: features.12",
        "summary --arch vgg11_bn --classes 3 --size 31|the input size is too small",
        "summary --arch vgg16_bn --classes 3 --cut -1|which Graft cannot compute; cut before it (vgg16_bn's default cut is -2)",
    })
    void badInputGivesOneLine(String spec) {
        String[] parts = spec.split("\\|");
        var r = SummaryCommandTest.graft(parts[0].split(" "));
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains(parts[1]).doesNotContain("Exception", "\tat ");
        assertThat(r.err().lines().filter(l -> !l.startsWith("Try ")).count()).isEqualTo(1);
    }

    @Test
    void trainAndExportRefuseASizeTooSmallForAlexnetBeforeRunningIt(@TempDir Path dir) {
        Path data = dir.resolve("shapes");
        SyntheticDataset.generate(data, 3, 32, 3, false, 11);
        var train = SummaryCommandTest.graft("train", "--data", data.toString(), "--arch", "alexnet", "--size", "48",
            "--batch", "4", "--epochs", "1", "--out", dir.resolve("run").toString(), "--no-progress");
        assertThat(train.code()).isNotZero();
        assertThat(train.err()).contains("the input size is too small").doesNotContain("Exception", "\tat ");
        assertThat(train.out()).doesNotContain("train_loss");
        assertThat(dir.resolve("run")).doesNotExist();
        Path weights = dir.resolve("w.safetensors");
        dev.graft.models.weights.SafeTensors.write(weights, dev.graft.models.weights.Initializer.init(
            dev.graft.models.arch.VisionModel.builder().setArch("alexnet").setClasses(3).build(), 1), java.util.Map.of());
        var export = SummaryCommandTest.graft("export", "--arch", "alexnet", "--classes", "3", "--weights",
            weights.toString(), "--size", "62", "--out", dir.resolve("m.onnx").toString());
        assertThat(export.code()).isNotZero();
        assertThat(export.err()).contains("the input size is too small").doesNotContain("Exception", "\tat ");
        assertThat(dir.resolve("m.onnx")).doesNotExist();
    }

    @Test
    void drawingShowsOneVggStagePerResolution(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("vgg.svg");
        var r = SummaryCommandTest.graft("draw", "--arch", "vgg13_bn", "--classes", "3", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        // fastai's _vgg_split at features[22] falls one convolution into vgg13_bn's fourth stage
        assertThat(r.out()).contains("vgg13_bn: body in 6 stages (stem, features.7 … features.13, features.14 …"
            + " features.20, features.21, features.22 … features.27, features.28 … features.34), cut at features.34");
        assertThat(Files.readString(out)).contains("data-body-end=\"features.34\"", "[512, 7, 7]");
    }

    /** One epoch (speed, not accuracy: PlainAndWideLearnerTest has the accuracy), then every later command. */
    @ParameterizedTest(name = "{0} at {1} px")
    @CsvSource({"alexnet, 64", "vgg11_bn, 32", "resnext50_32x4d, 32"})
    void trainsExportsQuantisesAndPredicts(String arch, int size, @TempDir Path dir) throws Exception {
        ArchPipeline.trainExportQuantisePredict(arch, size, dir);
    }
}
