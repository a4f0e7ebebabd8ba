package dev.graft.cli;

import static dev.graft.cli.SummaryCommandTest.graft;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.cli.SummaryCommandTest.Run;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;

class DrawCommandTest {
    @TempDir
    Path dir;

    static Document parse(Path svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(Files.readAllBytes(svg)));
    }

    @Test
    void drawsResnet34With37Classes() throws Exception {
        Path out = dir.resolve("model.svg");
        Run r = graft("draw", "--arch", "resnet34", "--classes", "37", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("resnet34: body in 5 stages (stem, layer1, layer2, layer3, layer4), cut at layer4.2.relu_1;"
            + " head of 9 layers; layer groups below 2 frozen", "wrote " + out);
        String svg = Files.readString(out);
        parse(out);
        assertThat(svg).contains("data-stage=\"layer4\"", "data-body-end=\"layer4.2.relu_1\"", "[1024, 1, 1]",
            "Linear(512, 37, bias=False)");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test
    void headOptionsSizeAndFreezeToShowInTheDrawing() throws Exception {
        Path out = dir.resolve("small.svg");
        Run r = graft("draw", "--arch", "resnet18", "--classes", "4", "--lin-ftrs", "256", "--no-concat-pool",
            "--size", "160x128", "--freeze-to", "0", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("layer groups below 0 frozen");
        String svg = Files.readString(out);
        parse(out);
        assertThat(svg).contains("AdaptiveAvgPool2d(1)", "[512, 5, 4]", "Linear(512, 256, bias=False)", "unfreeze()")
            .doesNotContain("AdaptiveConcatPool2d", "stage frozen", "layer frozen");
    }

    @Test
    void drawsACheckpointWithItsLabelsSizeAndState() throws Exception {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        Path ckpt = dir.resolve("run");
        new Checkpoint(net, Initializer.init(net, 1), Task.SINGLE_LABEL, List.of("cat", "dog", "bird"),
            Preprocessing.imagenet(64, 64), 0.5, 2, null).write(ckpt);
        Path out = dir.resolve("ckpt.svg");
        Run r = graft("draw", "--checkpoint", ckpt.toString(), "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("layer groups below 0 frozen", "does not record its trainable state");
        String svg = Files.readString(out);
        assertThat(svg).contains("input image [3, 64, 64]", "[512, 2, 2]", "3 classes: cat, dog, bird",
            "a softmax gives class probabilities", "checkpoint " + ckpt);

        // a recorded state is shown as it was; --freeze-to overrides it
        ObjectNode info = JsonNodeFactory.instance.objectNode().put(DrawCommand.FROZEN_BELOW_KEY, 2);
        Path frozen = dir.resolve("frozen");
        new Checkpoint(net, Initializer.init(net, 1), Task.SINGLE_LABEL, List.of("cat", "dog", "bird"),
            Preprocessing.imagenet(64, 64), 0.5, 1, info).write(frozen);
        assertThat(graft("draw", "--checkpoint", frozen.toString(), "--out", out.toString()).out())
            .contains("layer groups below 2 frozen", "recorded in the checkpoint");
        assertThat(graft("draw", "--checkpoint", frozen.toString(), "--freeze-to", "1", "--size", "96", "--out", out.toString()).out())
            .contains("layer groups below 1 frozen").doesNotContain("trainable state:");
        assertThat(Files.readString(out)).contains("input image [3, 96, 96]");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "draw --arch resnet19 --classes 3 --out OUT/m.svg|unknown architecture 'resnet19'",
        "draw --arch resnet18 --out OUT/m.svg|give --arch and --classes",
        "draw --arch resnet18 --classes 3 --out OUT/missing/m.svg|cannot write the drawing to",
        "draw --arch resnet18 --classes 3 --out OUT|it is a directory",
        "draw --arch resnet18 --classes 3 --freeze-to 3 --out OUT/m.svg|--freeze-to 3 is out of range for 3 layer groups",
        "draw --arch resnet18 --classes 3 --size 0 --out OUT/m.svg|--size takes N or HxW",
        "draw --arch resnet18 --classes 3 --ps 0.1,0.2,0.3 --out OUT/m.svg|3 dropout probabilities for 2 linear layers",
        "draw --checkpoint OUT/none --out OUT/m.svg|checkpoint",
        "draw --checkpoint OUT --arch resnet18 --lin-ftrs 10 --out OUT/m.svg|--checkpoint carries its network; drop --arch, --lin-ftrs",
        "draw --arch resnet18 --classes 3|Missing required option: '--out=FILE'",
    })
    void badInputGivesOneClearLineAndNonZeroExitAndNoFile(String spec) throws Exception {
        String[] parts = spec.split("\\|");
        Run r = graft(parts[0].replace("OUT", dir.toString()).split(" "));
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).startsWith("graft: ").contains(parts[1]).doesNotContain("Exception", "\tat ");
        assertThat(r.err().lines().filter(l -> !l.startsWith("Try ")).count()).isEqualTo(1);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aFileInTheWayOfTheFolderIsReported() throws Exception {
        Path file = dir.resolve("file");
        Files.writeString(file, "x");
        Run r = graft("draw", "--arch", "resnet18", "--classes", "3", "--out", file.resolve("m.svg").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("graft: cannot write the drawing to " + file.resolve("m.svg") + ": directory "
            + file + " is not a directory");
    }

    @Test
    void drawIsListedWithItsHelp() {
        assertThat(graft("--help").out()).contains("draw");
        Run r = graft("draw", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Usage: graft draw").contains("--checkpoint", "--freeze-to", "--lin-ftrs", "--out");
    }
}
