package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SummaryCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run graft(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GraftCommand.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void resnet50With10ClassesReportsTorchvisionsAndFastaisCounts() throws Exception {
        Run r = graft("summary", "--arch", "resnet50", "--classes", "10", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.at("/body/params").asLong()).isEqualTo(23_508_032L);
        assertThat(json.at("/head/params").asLong()).isEqualTo(2_111_488L);
        assertThat(json.at("/total/params").asLong()).isEqualTo(25_619_520L);
        assertThat(json.get("layers").size()).isGreaterThan(100);
        assertThat(json.at("/layers/0/name").asText()).isEqualTo("conv1");
    }

    @Test
    void tableSeparatesBodyAndHeadAndExplainsTheDoubledFeatures() {
        Run r = graft("summary", "--arch", "resnet34", "--classes", "37");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("BODY: resnet34 cut at layer4.2.relu_1", "HEAD: added by Graft",
            "head.0                 AdaptiveConcatPool2d(max, avg)", "head.8", "546,304",
            "The head takes 1024 features = 2 x 512");
    }

    @Test
    void everyHeadOptionIsAccepted() throws Exception {
        Run r = graft("summary", "--arch", "resnet18", "--classes", "1", "--size", "160x128", "--n-in", "4",
            "--lin-ftrs", "512,256", "--ps", "0.3", "--first-bn", "false", "--bn-final", "--lin-first",
            "--y-range", "0,5", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("input").toString()).isEqualTo("[4,160,128]");
        JsonNode layers = json.get("layers");
        assertThat(layers.get(layers.size() - 1).get("type").asText()).isEqualTo("SigmoidRange(0.0, 5.0)");
        assertThat(graft("summary", "--arch", "resnet18", "--classes", "3", "--no-concat-pool").out())
            .contains("AdaptiveAvgPool2d(1)").doesNotContain("AdaptiveConcatPool2d");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "summary --arch resnet19 --classes 3|unknown architecture 'resnet19'",
        "summary --arch resnet18 --classes 0|--classes must be at least 1",
        "summary --arch resnet18 --classes 3 --size 0|--size takes N or HxW",
        "summary --arch resnet18 --classes 3 --ps 0.1,0.2,0.3|3 dropout probabilities for 2 linear layers",
        "summary --arch resnet18 --classes 3 --y-range 5,0|--y-range needs low < high",
        "summary --arch resnet18 --classes 3 --cut 99|cut 99 leaves no body",
        "summary --arch resnet18 --classes 3 --n-in 0|--n-in must be at least 1",
        "summary --arch resnet18|give --arch and --classes",
    })
    void badInputGivesOneClearLineAndNonZeroExit(String spec) {
        String[] parts = spec.split("\\|");
        Run r = graft(parts[0].split(" "));
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains(parts[1]).doesNotContain("Exception", "\tat ");
        assertThat(r.err().lines().filter(l -> !l.startsWith("Try ")).count()).isEqualTo(1);
    }

    private static String golden(String name) {
        return dev.graft.models.testing.Fixtures.golden(name).toString();
    }

    @Test
    void theBodyHeadingSaysWhereItsWeightsComeFrom() {
        Run none = graft("summary", "--arch", "resnet18", "--classes", "3", "--size", "64");
        assertThat(none.out()).contains("BODY: resnet18 cut at layer4.1.relu_1 (no weights given: random initialisation)")
            .doesNotContain("pretrained");
        String body = golden("resnet18_c3_64.torchvision-body.safetensors");
        Run pretrained = graft("summary", "--arch", "resnet18", "--classes", "3", "--size", "64", "--pretrained", body);
        assertThat(pretrained.code()).as(pretrained.err()).isZero();
        assertThat(pretrained.out()).contains("BODY: resnet18 cut at layer4.1.relu_1 (pretrained weights from " + body + ")");
        String whole = golden("resnet18_c3_64.fastai.safetensors");
        Run weights = graft("summary", "--arch", "resnet18", "--classes", "3", "--size", "64", "--weights", whole);
        assertThat(weights.out()).contains("BODY: resnet18 cut at layer4.1.relu_1 (weights from " + whole + ")");
    }

    @Test
    void goldenWeightsAreCheckedAgainstTheModel() {
        Run r = graft("summary", "--arch", "resnet18", "--classes", "3", "--size", "64",
            "--weights", golden("resnet18_c3_64.fastai.safetensors"),
            "--pretrained", golden("resnet18_c3_64.torchvision-body.safetensors"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("fits the whole model (110 tensors, fastai names)", "fits the body (100 tensors, graft names)");
        Run wrong = graft("summary", "--arch", "resnet34", "--classes", "3",
            "--pretrained", golden("resnet18_c3_64.torchvision-body.safetensors"));
        assertThat(wrong.code()).isEqualTo(1);
        assertThat(wrong.err()).startsWith("graft: weights (graft names) do not fit resnet34 body:").contains("missing (layer1.2.conv1.weight");
        Run classes = graft("summary", "--arch", "resnet18", "--classes", "5",
            "--weights", golden("resnet18_c3_64.fastai.safetensors"));
        assertThat(classes.err()).contains("1.8.weight (file [3, 512], network [5, 512])");
    }

    @Test
    void truncatedAndMissingFilesGetOneLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        byte[] all = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(golden("resnet18_c3_64.fastai.safetensors")));
        java.nio.file.Path cut = dir.resolve("cut.safetensors");
        java.nio.file.Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
        java.nio.file.Path junk = dir.resolve("junk.safetensors");
        java.nio.file.Files.writeString(junk, "this is not a safetensors file at all");
        for (java.nio.file.Path p : new java.nio.file.Path[] {cut, junk, dir.resolve("absent.safetensors")}) {
            Run r = graft("summary", "--arch", "resnet18", "--classes", "3", "--weights", p.toString());
            assertThat(r.code()).as(p.toString()).isEqualTo(1);
            assertThat(r.err()).startsWith("graft: ").doesNotContain("Exception", "\tat ");
            assertThat(r.err().strip().lines().count()).isEqualTo(1);
        }
    }

    @Test
    void everySubcommandHasHelp() {
        Run root = graft("--help");
        assertThat(root.code()).isZero();
        assertThat(root.out()).contains("summary", "data", "demo");
        for (String sub : new String[] {"summary", "data", "demo"}) {
            Run r = graft(sub, "--help");
            assertThat(r.code()).isZero();
            assertThat(r.out()).startsWith("Usage: graft " + sub);
        }
    }
}
