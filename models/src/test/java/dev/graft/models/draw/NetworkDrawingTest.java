package dev.graft.models.draw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.head.HeadOptions;
import dev.graft.models.spec.Network;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class NetworkDrawingTest {
    static final String SVG_NS = "http://www.w3.org/2000/svg";

    /** Parses with the JDK's namespace-aware parser: throws on anything that is not well-formed XML. */
    static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    static List<Element> withAttribute(Document doc, String attribute) {
        List<Element> found = new ArrayList<>();
        NodeList all = doc.getElementsByTagNameNS(SVG_NS, "g");
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (e.hasAttribute(attribute)) {
                found.add(e);
            }
        }
        return found;
    }

    static List<String> texts(Document doc) {
        List<String> out = new ArrayList<>();
        NodeList all = doc.getElementsByTagNameNS(SVG_NS, "text");
        for (int i = 0; i < all.getLength(); i++) {
            out.add(all.item(i).getTextContent());
        }
        return out;
    }

    static Network resnet34() {
        return VisionModel.builder().setArch("resnet34").setClasses(37).build();
    }

    @Test
    void resnet34IsItsStagesTheCutAndTheNineHeadLayers() throws Exception {
        Network net = resnet34();
        Document doc = parse(NetworkDrawing.builder().setNetwork(net).build().toSvg());
        Element root = doc.getDocumentElement();
        assertThat(root.getNamespaceURI()).isEqualTo(SVG_NS);
        assertThat(root.getLocalName()).isEqualTo("svg");
        assertThat(Integer.parseInt(root.getAttribute("height"))).isBetween(1000, 4000);

        List<Element> stages = withAttribute(doc, "data-stage");
        assertThat(stages).extracting(e -> e.getAttribute("data-stage"))
            .containsExactly("stem", "layer1", "layer2", "layer3", "layer4");
        long bodyParams = stages.stream().mapToLong(e -> Long.parseLong(e.getAttribute("data-params"))).sum();
        assertThat(bodyParams).isEqualTo(Network.learnableCount(net.bodyNodes())).isEqualTo(21_284_672L);

        List<Element> layers = withAttribute(doc, "data-layer");
        assertThat(layers).extracting(e -> e.getAttribute("data-layer"))
            .containsExactly("head.0", "head.1", "head.2", "head.3", "head.4", "head.5", "head.6", "head.7", "head.8");
        assertThat(layers).extracting(e -> e.getAttribute("data-kind")).containsExactly(
            "concat_pool", "flatten", "batchnorm", "dropout", "linear", "relu", "batchnorm", "dropout", "linear");
        long headParams = layers.stream().mapToLong(e -> Long.parseLong(e.getAttribute("data-params"))).sum();
        assertThat(headParams).isEqualTo(546_304L);

        List<Element> cuts = withAttribute(doc, "data-body-end");
        assertThat(cuts).hasSize(1);
        assertThat(cuts.get(0).getAttribute("data-body-end")).isEqualTo("layer4.2.relu_1");

        List<String> texts = texts(doc);
        assertThat(texts).contains("input image [3, 224, 224]",
            "[64, 56, 56]", "[128, 28, 28]", "[256, 14, 14]", "[512, 7, 7]",
            "[1024, 1, 1]", "[1024]", "[512]", "[37]", "→ [512, 1, 1]",
            "AdaptiveConcatPool2d", "AdaptiveMaxPool2d(1)", "AdaptiveAvgPool2d(1)", "Flatten", "BatchNorm1d(1024)",
            "Dropout(p=0.25)", "Linear(1024, 512, bias=False)", "ReLU", "Linear(512, 37, bias=False)",
            "21,284,672 params", "546,304 params", "524,288 params", "resnet34 → 37 classes");
        assertThat(texts).anyMatch(t -> t.contains("2 × 512 = 1024 features"));
        assertThat(texts).anyMatch(t -> t.contains("CUT") && t.contains("layer4.2.relu_1"));
        // the layer groups, in the margin
        assertThat(withAttribute(doc, "data-group").stream().filter(e -> e.getAttribute("class").contains("layer-group")))
            .hasSize(3);
    }

    @Test
    void freezeToShadesTheFrozenGroups() throws Exception {
        // default: fastai's freeze(), the body frozen (BatchNorm aside) and the head training
        Document frozen = parse(NetworkDrawing.builder().setNetwork(resnet34()).build().toSvg());
        assertThat(withAttribute(frozen, "data-stage")).allMatch(e -> e.getAttribute("class").contains("frozen"));
        assertThat(withAttribute(frozen, "data-layer")).allMatch(e -> e.getAttribute("class").contains("trainable"));
        assertThat(frozen.getDocumentElement().getAttribute("data-frozen-below")).isEqualTo("2");
        assertThat(texts(frozen)).contains("frozen · BatchNorm trains")
            .anyMatch(t -> t.startsWith("input [3, 224, 224] · 21,830,976 parameters: 563,328 trainable, 21,267,648 frozen"));
        assertThat(countFrozenFills(frozen)).isEqualTo(5);

        Document all = parse(NetworkDrawing.builder().setNetwork(resnet34()).optFreezeTo(0).build().toSvg());
        assertThat(withAttribute(all, "data-stage")).allMatch(e -> e.getAttribute("class").contains("trainable"));
        assertThat(countFrozenFills(all)).isZero();
        assertThat(texts(all)).noneMatch(t -> t.contains("frozen ·")).anyMatch(t -> t.contains("unfreeze()"));

        Document one = parse(NetworkDrawing.builder().setNetwork(resnet34()).optFreezeTo(1).build().toSvg());
        assertThat(withAttribute(one, "data-stage")).extracting(e -> e.getAttribute("class").contains("frozen"))
            .containsExactly(true, true, true, false, false);
    }

    @Test
    void convNeXtsLayerNormsTrainInAFrozenBodyAsFastaisTrainBnKeepsThem() throws Exception {
        Network net = VisionModel.builder().setArch("convnext_tiny").setClasses(3).build();
        dev.graft.models.summary.NetworkSummary summary = new dev.graft.models.summary.NetworkSummary(net, 224, 224, -1);
        assertThat(summary.rows()).filteredOn(r -> r.id().equals("features.1.0.block.2")).extracting(r -> r.state())
            .containsExactly("trainable (norm)");
        assertThat(summary.rows()).filteredOn(r -> r.id().equals("features.1.0.block.3")).extracting(r -> r.state())
            .containsExactly("frozen");
        Document frozen = parse(NetworkDrawing.builder().setNetwork(net).build().toSvg());
        assertThat(texts(frozen)).contains("frozen · norm layers train").noneMatch(t -> t.contains("BatchNorm trains"));
    }

    private static long countFrozenFills(Document doc) {
        NodeList rects = doc.getElementsByTagNameNS(SVG_NS, "rect");
        long n = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            String cls = ((Element) rects.item(i)).getAttribute("class");
            // the legend's swatch is the one frozen fill outside the boxes
            if (cls.equals("box frozen-fill") && !((Element) rects.item(i).getParentNode()).getAttribute("id").equals("legend")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void freezeToOutOfRangeIsRefused() {
        assertThatThrownBy(() -> NetworkDrawing.builder().setNetwork(resnet34()).optFreezeTo(3).build())
            .isInstanceOf(GraftException.class).hasMessage("--freeze-to 3 is out of range for 3 layer groups (give -3 to 2)");
        assertThatThrownBy(() -> NetworkDrawing.builder().setNetwork(resnet34()).optFreezeTo(-4).build())
            .isInstanceOf(GraftException.class);
        assertThatThrownBy(() -> NetworkDrawing.builder().build()).isInstanceOf(GraftException.class);
    }

    @Test
    void shapesFollowTheInputSize() throws Exception {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        List<String> texts = texts(parse(NetworkDrawing.builder().setNetwork(net).optInputSize(160, 128).build().toSvg()));
        assertThat(texts).contains("input image [3, 160, 128]", "[512, 5, 4]", "[1024, 1, 1]", "[3]");
        assertThatThrownBy(() -> NetworkDrawing.builder().setNetwork(net).optInputSize(0, 8))
            .isInstanceOf(GraftException.class).hasMessageContaining("must be positive");
    }

    @Test
    void otherHeadsAreDrawnLayerByLayer() throws Exception {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(1)
            .optHead(HeadOptions.builder().optConcatPool(false).optLinFtrs(List.of(256, 128)).optYRange(0, 5).build())
            .build();
        Document doc = parse(NetworkDrawing.builder().setNetwork(net).optTask(Task.REGRESSION).build().toSvg());
        assertThat(withAttribute(doc, "data-layer")).extracting(e -> e.getAttribute("data-kind")).containsExactly(
            "avg_pool", "flatten", "batchnorm", "dropout", "linear", "relu", "batchnorm", "dropout", "linear", "relu",
            "batchnorm", "dropout", "linear", "sigmoid_range");
        assertThat(texts(doc)).contains("[512, 1, 1]", "[256]", "[128]", "resnet18 → 1 target", "predicted values");
    }

    @Test
    void labelsAndNamesAreEscaped() throws Exception {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        String svg = NetworkDrawing.builder().setNetwork(net).optTask(Task.SINGLE_LABEL)
            .optLabels(List.of("<cat>", "dog & \"puppy\"", "bird's\u0007")).optSource("checkpoint runs/<a&b>").build().toSvg();
        List<String> texts = texts(parse(svg));
        assertThat(texts).anyMatch(t -> t.equals("3 classes: <cat>, dog & \"puppy\", bird's"));
        assertThat(texts).anyMatch(t -> t.equals("from checkpoint runs/<a&b>"));
    }

    @Test
    void aMobileNetLikeBodyIsDrawnByResolution() throws Exception {
        Document doc = parse(NetworkDrawing.builder().setNetwork(BodyStagesTest.mobileNetLike()).optFreezeTo(0).build().toSvg());
        assertThat(withAttribute(doc, "data-stage")).extracting(e -> e.getAttribute("data-stage"))
            .containsExactly("features.0 … features.1", "features.2 … features.3", "features.4 … features.6",
                "features.7 … features.13", "features.14 … features.17");
    }

    @Test
    void writeIsAtomicAndRefusesBadTargets(@TempDir Path dir) throws Exception {
        NetworkDrawing drawing = NetworkDrawing.builder().setNetwork(resnet34()).build();
        Path out = dir.resolve("model.svg");
        Files.writeString(out, "old");
        drawing.write(out);
        assertThat(Files.readString(out)).isEqualTo(drawing.toSvg());
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
        assertThatThrownBy(() -> drawing.write(dir.resolve("missing/model.svg")))
            .isInstanceOf(GraftException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> drawing.write(dir))
            .isInstanceOf(GraftException.class).hasMessageContaining("it is a directory");
        assertThatThrownBy(() -> drawing.write(out.resolve("inside.svg")))
            .isInstanceOf(GraftException.class).hasMessageContaining("is not a directory");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }
}
