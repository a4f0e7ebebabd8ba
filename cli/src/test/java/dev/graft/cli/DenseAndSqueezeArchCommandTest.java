package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --arch} densenet* and squeezenet* through the commands. */
class DenseAndSqueezeArchCommandTest {

    @Test
    void summaryOfDensenetSaysTheHeadSeesPreReluFeatures() {
        var r = SummaryCommandTest.graft("summary", "--arch", "densenet121", "--classes", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("BODY: densenet121 cut at features.norm5", "The head takes 2048 features = 2 x 1024",
            "body         6,953,856 params", "0 body.0 = features.conv0, features.norm0",
            "1 body.1 = features.transition2, features.denseblock3",
            "Cut and split: fastai's _densenet_meta: cut=-1, split=_densenet_split",
            "the head sees pre-ReLU features", "Concat (channels)", "AvgPool2d(k=2, s=2, p=0)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "densenet169, 12484480, 1664, 3, _densenet_meta",
        "densenet161, 26472000, 2208, 3, _densenet_meta",
        "squeezenet1_0, 735424, 512, 3, _squeezenet_meta",
        "squeezenet1_1, 722496, 512, 3, _squeezenet_meta",
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
    void summaryOfSqueezenetShowsCeilModePooling() {
        var r = SummaryCommandTest.graft("summary", "--arch", "squeezenet1_1", "--classes", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("MaxPool2d(k=3, s=2, p=0, ceil_mode=True)", "[512, 13, 13]");
    }

    @Test
    void nInRebuildsTheFirstConvolutionAsFastaiDoes() throws Exception {
        var r = SummaryCommandTest.graft("summary", "--arch", "squeezenet1_1", "--classes", "3", "--n-in", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("First conv: features.0 rebuilt for n_in=1 (fastai's _update_first_layer): weight the"
            + " sum of the pretrained RGB weights; bias freshly initialised");
        var json = SummaryCommandTest.graft("summary", "--arch", "densenet121", "--classes", "3", "--n-in", "4", "--json");
        assertThat(new ObjectMapper().readTree(json.out()).get("first_conv").asText())
            .contains("features.conv0 rebuilt for n_in=4", "no bias");
    }

    @ParameterizedTest
    @CsvSource({
        "summary --arch densenet121 --classes 3 --size 16|the input size is too small",
        "summary --arch squeezenet1_1 --classes 3 --size 16|the input size is too small",
    })
    void badInputGivesOneLine(String spec) {
        String[] parts = spec.split("\\|");
        var r = SummaryCommandTest.graft(parts[0].split(" "));
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains(parts[1]).doesNotContain("Exception", "\tat ");
        assertThat(r.err().lines().filter(l -> !l.startsWith("Try ")).count()).isEqualTo(1);
    }

    @Test
    void drawingCollapsesEachDenseBlockAndTransition(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("dense.svg");
        var r = SummaryCommandTest.graft("draw", "--arch", "densenet121", "--classes", "3", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("densenet121: body in 9 stages (stem, features.denseblock1, features.transition1,"
            + " features.denseblock2, features.transition2, features.denseblock3, features.transition3,"
            + " features.denseblock4, features.norm5), cut at features.norm5");
        assertThat(Files.readString(out)).contains("data-body-end=\"features.norm5\"", "[1024, 7, 7]");
    }

    /** One epoch (speed, not accuracy), then every later command. */
    @ParameterizedTest(name = "{0} at {1} px")
    @CsvSource({"densenet121, 32", "squeezenet1_1, 64"})
    void trainsExportsQuantisesAndPredicts(String arch, int size, @TempDir Path dir) throws Exception {
        ArchPipeline.trainExportQuantisePredict(arch, size, dir);
    }
}
