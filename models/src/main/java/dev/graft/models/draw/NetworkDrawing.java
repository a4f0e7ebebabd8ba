package dev.graft.models.draw;

import dev.graft.files.OutputFile;
import dev.graft.models.GraftException;
import dev.graft.models.GraftVersion;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.draw.Svg.Font;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.LayerGroup;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Shapes;
import dev.graft.models.summary.NetworkSummary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A network as an SVG picture: "what did Graft build on my backbone, and what will train?" at a glance.
 *
 * <p>The body is collapsed into its {@link BodyStages stages} (a ResNet's stem and layer1..layer4), because its
 * hundreds of layers are the pretrained part nobody edits; the cut is a red line; the head, which is what Graft adds,
 * is drawn layer by layer, with AdaptiveConcatPool2d opened up to show why the head takes 2 x nf features. Arrows
 * carry the tensor shape for one image, boxes their parameter counts, the left margin the layer groups, and frozen
 * parts are hatched, following fastai's freeze_to with train_bn (the rule {@link NetworkSummary} applies).
 *
 * <p>Everything comes from the {@link Network} spec, so the picture is what the trainer builds and the exporter
 * writes. The SVG is self-contained (no scripts, no external fonts or images) and every box carries a tooltip with
 * its layers. Build one with {@link #builder()}: {@code setNetwork} is required; input size (224), trainable state
 * (fastai's {@code freeze()}, as {@code graft summary}), labels and task are optional.
 */
public final class NetworkDrawing {
    static final int WIDTH = 780;
    static final int GUTTER_END = 194;
    static final int BAR_X = 202;
    static final int BOX_X = 226;
    static final int BOX_W = 500;
    static final int CX = BOX_X + BOX_W / 2;
    static final int STAGE_H = 72;
    static final int LAYER_H = 50;
    static final int POOL_H = 112;
    static final int GAP = 36;
    static final int PAD = 12;

    private static final String[] GROUP_COLOURS = {"#4e79a7", "#e8702a", "#2f9e44", "#c2255c", "#0c8599", "#b08900", "#7048e8"};

    private final Network network;
    private final int height;
    private final int width;
    private final int freezeTo;
    private final int frozenBelow;
    private final List<String> labels;
    private final Task task;
    private final String source;
    private final NetworkSummary summary;
    private final Map<String, NetworkSummary.Row> rows = new HashMap<>();
    private final Map<String, int[]> shapes;
    private final List<Stage> stages;

    private NetworkDrawing(Builder b) {
        if (b.network == null) {
            throw new GraftException("a drawing needs a network");
        }
        this.network = b.network;
        this.height = b.height;
        this.width = b.width;
        int groups = network.groups().size();
        if (b.freezeTo < -groups || b.freezeTo >= groups) {
            throw new GraftException("--freeze-to " + b.freezeTo + " is out of range for " + groups
                + " layer groups (give " + (-groups) + " to " + (groups - 1) + ")");
        }
        this.freezeTo = b.freezeTo;
        this.frozenBelow = freezeTo < 0 ? groups + freezeTo : freezeTo;
        this.labels = b.labels == null ? List.of() : List.copyOf(b.labels);
        this.task = b.task;
        this.source = b.source;
        this.shapes = Shapes.infer(network, height, width);
        this.summary = new NetworkSummary(network, height, width, frozenBelow);
        summary.rows().forEach(r -> rows.put(r.id(), r));
        this.stages = BodyStages.of(network, height, width);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The body's stages as drawn. */
    public List<Stage> stages() {
        return stages;
    }

    /** The first layer group that trains in the state drawn (0: everything trains). */
    public int frozenBelow() {
        return frozenBelow;
    }

    /**
     * Writes the SVG to {@code target} atomically through {@link OutputFile}: a temporary sibling, then a rename;
     * nothing half-written stays, and a device, FIFO, folder, symbolic link or one of {@code inputs} (the checkpoint
     * drawn) at {@code target} is refused rather than replaced.
     */
    public void write(Path target, Path... inputs) {
        byte[] bytes = toSvg().getBytes(StandardCharsets.UTF_8);
        try {
            OutputFile.of(target, "the drawing", inputs).writeBytes(bytes);
        } catch (IOException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    // ---- drawing ----------------------------------------------------------------------------------------------

    /** One box of the column: a stage of the body or a layer of the head. */
    private record Box(String id, String kind, int y, int h, int group, List<Node> nodes) {
        int bottom() {
            return y + h;
        }
    }

    /** The whole picture as SVG text. */
    public String toSvg() {
        List<Node> head = network.headNodes();
        int[] inputShape = {network.inputChannels(), height, width};

        // ---- layout, top to bottom
        long totalParams = summary.bodyParams() + summary.headParams();
        long trainable = summary.trainableParams();
        List<String> header = new ArrayList<>();
        header.add(String.format(Locale.ROOT, "input %s · %,d parameters: %,d trainable, %,d frozen",
            Shapes.fmt(inputShape), totalParams, trainable, totalParams - trainable));
        header.addAll(Svg.wrap("shown: " + stateDescription(), WIDTH - 48, 12, Font.SANS));
        if (source != null) {
            header.addAll(Svg.wrap("from " + source, WIDTH - 48, 12, Font.SANS));
        }
        int y = 58 + 18 * header.size() + 2;
        int inputY = y;
        y += 30;
        int bodyTop = y + 22;
        y = bodyTop + 32;
        List<Box> boxes = new ArrayList<>();
        for (Stage s : stages) {
            boxes.add(new Box("stage-" + s.name(), "stage", y, STAGE_H, s.group(), s.nodes()));
            y += STAGE_H + GAP;
        }
        int bodyBottom = y - GAP + PAD + 2;
        int cutY = bodyBottom + 24;
        int headTop = cutY + 24;
        int headBottom = bodyBottom;
        if (!head.isEmpty()) {
            y = headTop + 32;
            for (Node n : head) {
                int h = n.layer() instanceof Layer.ConcatPool ? POOL_H : LAYER_H;
                boxes.add(new Box("layer-" + n.id(), "layer", y, h, network.groupOf(n.id()), List.of(n)));
                y += h + GAP;
            }
            headBottom = y - GAP + PAD + 2;
        }
        int outputY = headBottom + 30;
        List<String> outputLines = outputLines();
        int outputH = 14 + 17 * outputLines.size();
        int legendY = outputY + outputH + 34;
        List<String[]> legend = legendRows();
        List<String> explanation = Svg.wrap(summary.headInputExplanation(), WIDTH - 60, 12, Font.SANS);
        int total = legendY + legend.size() * 22 + explanation.size() * 17 + 40;

        Svg svg = new Svg();
        svg.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        svg.line("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + WIDTH + "\" height=\"" + total
            + "\" viewBox=\"0 0 " + WIDTH + " " + total + "\" role=\"img\" aria-labelledby=\"drawing-title drawing-desc\""
            + " data-arch=\"" + Svg.esc(network.arch()) + "\" data-frozen-below=\"" + frozenBelow + "\">");
        svg.line("<title id=\"drawing-title\">" + Svg.esc(title()) + "</title>");
        svg.line("<desc id=\"drawing-desc\">" + Svg.esc(description()) + "</desc>");
        defs(svg);
        svg.rect(0, 0, WIDTH, total, 0, "fill=\"#ffffff\"");

        // ---- header
        svg.text(24, 34, "title", "start", Svg.fit(title(), WIDTH - 48, 20, Font.BOLD));
        for (int i = 0; i < header.size(); i++) {
            svg.text(24, 58 + 18 * i, "sub", "start", header.get(i));
        }

        // ---- sections
        int sectionX = BOX_X - PAD;
        int sectionW = BOX_W + 2 * PAD;
        svg.open("g", "id=\"body\" class=\"section\"");
        svg.rect(sectionX, bodyTop, sectionW, bodyBottom - bodyTop, 10, "class=\"section-body\"");
        String bodyLabel = "BODY: " + network.arch() + " backbone";
        if (Svg.width(bodyLabel, 13, Font.BOLD) > CX - BOX_X - 14) {
            bodyLabel = "BODY: " + network.arch();
        }
        svg.text(BOX_X, bodyTop + 20, "section", "start", Svg.fit(bodyLabel, CX - BOX_X - 14, 13, Font.BOLD));
        svg.text(BOX_X + BOX_W, bodyTop + 20, "sub", "end", String.format(Locale.ROOT, "%,d params", summary.bodyParams()));
        svg.close("g");
        if (!head.isEmpty()) {
            svg.open("g", "id=\"head\" class=\"section\"");
            svg.rect(sectionX, headTop, sectionW, headBottom - headTop, 10, "class=\"section-head\"");
            svg.text(BOX_X, headTop + 20, "section", "start", "HEAD: added by Graft");
            svg.text(BOX_X + BOX_W, headTop + 20, "sub", "end", String.format(Locale.ROOT, "%,d params", summary.headParams()));
            svg.close("g");
        }

        // ---- layer groups in the left margin
        groups(svg, boxes);

        // ---- edges, drawn before the boxes so arrowheads meet their borders cleanly
        svg.open("g", "id=\"edges\"");
        int prevBottom = inputY + 30;
        int[] prevShape = inputShape;
        boolean first = true;
        for (Box b : boxes) {
            boolean crossesCut = b.kind().equals("layer") && network.headStart().map(h -> h.equals(b.nodes().get(0).id())).orElse(false);
            int labelY = crossesCut ? cutY - 7 : prevBottom + 22;
            edge(svg, prevBottom, b.y(), first ? null : prevShape, labelY);
            prevBottom = b.bottom();
            prevShape = shapes.get(b.nodes().get(b.nodes().size() - 1).id());
            first = false;
        }
        edge(svg, prevBottom, outputY, prevShape, (head.isEmpty() ? bodyBottom : headBottom) + 19);
        svg.close("g");

        // ---- input
        svg.open("g", "id=\"input\" class=\"io\"");
        svg.rect(CX - 150, inputY, 300, 30, 15, "class=\"pill\"");
        svg.text(CX, inputY + 20, "io-text", "middle", "input image " + Shapes.fmt(inputShape));
        svg.close("g");

        // ---- boxes
        for (Box b : boxes) {
            if (b.kind().equals("stage")) {
                stageBox(svg, b, stages.get(boxes.indexOf(b)));
            } else {
                layerBox(svg, b, b.nodes().get(0));
            }
        }

        // ---- the cut
        if (!head.isEmpty()) {
            svg.open("g", "id=\"cut\" class=\"cut\" data-body-end=\"" + Svg.esc(network.bodyEnd()) + "\"");
            svg.title("The cut: the backbone's children after " + network.bodyEnd()
                + " (its pooling and classifier) are dropped and the head is added here.");
            svg.segment(16, cutY, WIDTH - 16, cutY, "class=\"cut-line\"");
            svg.text(24, cutY - 7, "cut-text", "start",
                Svg.fit("✂ CUT · the body ends at " + network.bodyEnd(), CX - 36, 12, Font.BOLD));
            int nf = shapes.get(network.bodyEnd())[0];
            svg.text(24, cutY + 17, "cut-note", "start", Svg.fit("nf = " + nf + " channels", GUTTER_END - 30, 11, Font.SANS));
            svg.close("g");
        }

        // ---- output
        svg.open("g", "id=\"output\" class=\"io\"");
        svg.rect(BOX_X, outputY, BOX_W, outputH, 14, "class=\"pill\"");
        for (int i = 0; i < outputLines.size(); i++) {
            svg.text(CX, outputY + 22 + 17 * i, i == 0 ? "io-text" : "detail", "middle", outputLines.get(i));
        }
        svg.close("g");

        // ---- legend
        legend(svg, legendY, legend, explanation);
        svg.text(WIDTH - 24, total - 14, "footer", "end", "graft " + GraftVersion.get() + " · drawn from the network spec");
        svg.line("</svg>");
        return svg.toString();
    }

    private void defs(Svg svg) {
        svg.line("<defs>");
        svg.line("<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\""
            + " orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#344054\"/></marker>");
        svg.line("<pattern id=\"frozen\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\""
            + " patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#e4e6ea\"/>"
            + "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#b9bec7\" stroke-width=\"3\"/></pattern>");
        svg.line("<style>");
        svg.line("text{font-family:'DejaVu Sans','Helvetica Neue',Helvetica,Arial,sans-serif;fill:#1d2939}");
        svg.line(".title{font-size:20px;font-weight:bold}");
        svg.line(".sub{font-size:12px;fill:#475467}");
        svg.line(".section{font-size:13px;font-weight:bold;fill:#344054;letter-spacing:.3px}");
        svg.line(".section-body{fill:#f4f8fd;stroke:#9db7d5;stroke-dasharray:5 3}");
        svg.line(".section-head{fill:#fff8ef;stroke:#e0b57a;stroke-dasharray:5 3}");
        svg.line(".box{stroke:#344054;stroke-width:1.2}");
        svg.line(".body-fill{fill:#d7e6f7}");
        svg.line(".head-fill{fill:#fde3c2}");
        svg.line(".noparam-fill{fill:#fbf3e7}");
        svg.line(".frozen-fill{fill:url(#frozen)}");
        svg.line(".name{font-size:14px;font-weight:bold}");
        svg.line(".layer-type{font-size:13px}");
        svg.line(".mono,.shape{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace}");
        svg.line(".detail{font-size:12px;fill:#475467}");
        svg.line(".small{font-size:11px;fill:#475467}");
        svg.line(".params{font-size:12px;fill:#1d2939}");
        svg.line(".state-frozen{font-size:12px;fill:#667085;font-style:italic}");
        svg.line(".state-trainable{font-size:12px;fill:#2b8a3e;font-weight:bold}");
        svg.line(".shape{font-size:11.5px;fill:#1d2939}");
        svg.line(".edge{stroke:#344054;stroke-width:1.4;marker-end:url(#arrow)}");
        svg.line(".pill{fill:#ffffff;stroke:#344054;stroke-width:1.2}");
        svg.line(".io-text{font-size:13px;font-weight:bold}");
        svg.line(".cut-line{stroke:#d92d20;stroke-width:2;stroke-dasharray:9 5}");
        svg.line(".cut-text{font-size:12px;font-weight:bold;fill:#d92d20}");
        svg.line(".cut-note{font-size:11px;fill:#d92d20}");
        svg.line(".group-name{font-size:12px;font-weight:bold}");
        svg.line(".mini{fill:#ffffff;stroke:#98a2b3}");
        svg.line(".legend{font-size:12px;fill:#344054}");
        svg.line(".footer{font-size:10px;fill:#98a2b3}");
        svg.line("</style>");
        svg.line("</defs>");
    }

    private void edge(Svg svg, int from, int to, int[] shape, int labelY) {
        svg.segment(CX, from, CX, to - 1, "class=\"edge\"");
        if (shape != null) {
            svg.text(CX + 9, labelY, "shape", "start", Shapes.fmt(shape));
        }
    }

    /** Learnable parameters of these nodes by trainable state. */
    private long[] counts(List<Node> nodes) {
        long trainable = 0;
        long bnTraining = 0;
        long frozen = 0;
        for (Node n : nodes) {
            NetworkSummary.Row r = rows.get(n.id());
            switch (r.state()) {
                case "trainable" -> trainable += r.params();
                case "trainable (bn)", "trainable (norm)" -> bnTraining += r.params();
                case "frozen" -> frozen += r.params();
                default -> {
                }
            }
        }
        return new long[] {trainable, bnTraining, frozen};
    }

    /** What fastai's train_bn keeps training in frozen groups, named as this network has it. */
    private String trainingNorms() {
        boolean layerNorm = network.nodes().stream().anyMatch(n -> n.layer() instanceof Layer.LayerNorm2d);
        return layerNorm ? "norm layers" : "BatchNorm";
    }

    private String stateText(long[] c) {
        if (c[0] + c[1] + c[2] == 0) {
            return "";
        }
        if (c[2] == 0 && c[1] == 0) {
            return "trainable";
        }
        if (c[1] > 0) {
            return c[0] > 0 ? "partly frozen" : "frozen · " + trainingNorms() + (trainingNorms().equals("BatchNorm") ? " trains" : " train");
        }
        return c[0] > 0 ? "partly frozen" : "frozen";
    }

    private boolean frozenGroup(int group) {
        return group < frozenBelow;
    }

    private void stageBox(Svg svg, Box b, Stage s) {
        long[] c = counts(s.nodes());
        long params = c[0] + c[1] + c[2];
        boolean frozen = frozenGroup(s.group());
        svg.open("g", "id=\"" + Svg.id(b.id()) + "\" class=\"box-group stage" + (frozen ? " frozen" : " trainable")
            + "\" data-stage=\"" + Svg.esc(s.name()) + "\" data-group=\"" + s.group() + "\" data-params=\"" + params + "\"");
        StringBuilder tip = new StringBuilder(s.name() + ": " + s.nodes().size() + " layers, "
            + String.format(Locale.ROOT, "%,d", params) + " parameters, group " + s.group());
        for (Node n : s.nodes()) {
            tip.append('\n').append(n.id()).append("  ").append(NetworkSummary.describe(n.layer())).append("  ")
                .append(Shapes.fmt(shapes.get(n.id())));
        }
        svg.title(tip.toString());
        svg.rect(BOX_X, b.y(), BOX_W, b.h(), 6, "class=\"box body-fill\"");
        if (frozen) {
            svg.rect(BOX_X, b.y(), BOX_W, b.h(), 6, "class=\"box frozen-fill\"");
        }
        String count = String.format(Locale.ROOT, "%,d params", params);
        String state = stateText(c);
        double right = BOX_X + BOX_W - 12;
        svg.text(BOX_X + 12, b.y() + 22, "name", "start",
            Svg.fit(s.name(), BOX_W - 36 - Svg.width(count, 12, Font.SANS), 14, Font.BOLD));
        svg.text(right, b.y() + 22, "params", "end", count);
        svg.text(BOX_X + 12, b.y() + 42, "detail", "start",
            Svg.fit(s.members(), BOX_W - 36 - Svg.width(state, 12, Font.BOLD), 12, Font.SANS));
        svg.text(right, b.y() + 42, state.startsWith("trainable") ? "state-trainable" : "state-frozen", "end", state);
        svg.text(BOX_X + 12, b.y() + 61, "small", "start", Svg.fit(histogram(s.nodes()), BOX_W - 24, 11, Font.SANS));
        svg.close("g");
    }

    /** {@code conv2d ×6 · batchnorm ×6 · relu ×6 · add ×3}: what a stage is made of, by kind. */
    private static String histogram(List<Node> nodes) {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (Node n : nodes) {
            kinds.merge(n.layer().kind(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        kinds.forEach((k, v) -> parts.add(k + " ×" + v));
        return String.join(" · ", parts);
    }

    private void layerBox(Svg svg, Box b, Node n) {
        long[] c = counts(List.of(n));
        long params = c[0] + c[1] + c[2];
        boolean frozen = frozenGroup(b.group());
        String type = n.layer() instanceof Layer.ConcatPool ? "AdaptiveConcatPool2d" : NetworkSummary.describe(n.layer());
        svg.open("g", "id=\"" + Svg.id(b.id()) + "\" class=\"box-group layer" + (frozen ? " frozen" : " trainable")
            + "\" data-layer=\"" + Svg.esc(n.id()) + "\" data-kind=\"" + n.layer().kind() + "\" data-group=\"" + b.group()
            + "\" data-params=\"" + params + "\"");
        svg.title(n.id() + "  " + NetworkSummary.describe(n.layer()) + "  → " + Shapes.fmt(shapes.get(n.id()))
            + String.format(Locale.ROOT, "  %,d parameters, group %d", params, b.group())
            + (n.layer() instanceof Layer.Linear lin && !lin.bias() ? "\nno bias: the BatchNorm before it has one" : ""));
        svg.rect(BOX_X, b.y(), BOX_W, b.h(), 6, "class=\"box " + (params > 0 ? "head-fill" : "noparam-fill") + "\"");
        if (frozen) {
            svg.rect(BOX_X, b.y(), BOX_W, b.h(), 6, "class=\"box frozen-fill\"");
        }
        double right = BOX_X + BOX_W - 12;
        String count = params > 0 ? String.format(Locale.ROOT, "%,d params", params) : "no parameters";
        double idWidth = Svg.width(n.id(), 13, Font.MONO) + 14;
        svg.text(BOX_X + 12, b.y() + 21, "layer-type mono", "start", n.id());
        svg.text(BOX_X + 12 + idWidth, b.y() + 21, "name", "start",
            Svg.fit(type, BOX_W - 36 - idWidth - Svg.width(count, 12, Font.SANS), 14, Font.BOLD));
        svg.text(right, b.y() + 21, params > 0 ? "params" : "small", "end", count);
        if (n.layer() instanceof Layer.ConcatPool) {
            concatPool(svg, b, n);
        } else {
            String state = stateText(c);
            svg.text(BOX_X + 12, b.y() + 40, "detail", "start",
                Svg.fit(explain(n), BOX_W - 36 - Svg.width(state, 12, Font.BOLD), 12, Font.SANS));
            svg.text(right, b.y() + 40, state.startsWith("trainable") ? "state-trainable" : "state-frozen", "end", state);
        }
        svg.close("g");
    }

    /** AdaptiveConcatPool2d opened up: max and average pooling side by side, then the concatenation. */
    private void concatPool(Svg svg, Box b, Node n) {
        int[] in = shapes.get(n.inputs().get(0));
        int nf = in[0];
        String half = Shapes.fmt(new int[] {nf, 1, 1});
        int miniW = 206;
        int miniY = b.y() + 32;
        int leftX = CX - 12 - miniW;
        int rightX = CX + 12;
        for (int i = 0; i < 2; i++) {
            int x = i == 0 ? leftX : rightX;
            svg.rect(x, miniY, miniW, 42, 5, "class=\"mini\"");
            svg.text(x + miniW / 2.0, miniY + 17, "detail", "middle", i == 0 ? "AdaptiveMaxPool2d(1)" : "AdaptiveAvgPool2d(1)");
            svg.text(x + miniW / 2.0, miniY + 34, "shape", "middle", "→ " + half);
        }
        svg.text(CX, miniY + 30, "name", "middle", "+");
        svg.text(CX, b.y() + b.h() - 12, "detail", "middle", String.format(Locale.ROOT,
            "concatenated, max first: 2 × %d = %d features per image", nf, 2 * nf));
    }

    /** One line on what a head layer does. */
    private String explain(Node n) {
        return n.layer().accept(new Explanation(n));
    }

    /** The line under a head layer's name; kinds with nothing to add beyond their name give the kind. */
    private final class Explanation implements Layer.Visitor<String> {
        private final Node n;
        private final int[] in;
        private final int[] out;

        Explanation(Node n) {
            this.n = n;
            this.in = shapes.get(n.inputs().get(0));
            this.out = shapes.get(n.id());
        }

        @Override
        public String flatten(Layer.Flatten l) {
            return Shapes.fmt(in) + " → " + Shapes.fmt(out) + ": one vector per image";
        }

        @Override
        public String batchNorm(Layer.BatchNorm bn) {
            return "normalises each of the " + bn.features() + (bn.dims() == 1 ? " features" : " channels");
        }

        @Override
        public String dropout(Layer.Dropout d) {
            return "zeroes " + Math.round(d.p() * 100) + "% of the features in training; nothing at inference";
        }

        @Override
        public String linear(Layer.Linear lin) {
            boolean last = n.equals(network.output()) || network.headNodes().indexOf(n) == lastLinearIndex();
            return lin.in() + " → " + lin.out() + (last ? ": one score per " + (task == Task.REGRESSION ? "target" : "class")
                : " features");
        }

        @Override
        public String relu(Layer.Relu l) {
            return "max(x, 0)";
        }

        @Override
        public String avgPool(Layer.AvgPool l) {
            return "the average of each channel: " + Shapes.fmt(in) + " → " + Shapes.fmt(out);
        }

        @Override
        public String sigmoidRange(Layer.SigmoidRange s) {
            return "squashes each output into (" + s.low() + ", " + s.high() + ")";
        }

        @Override
        public String conv2d(Layer.Conv2d l) {
            return Shapes.fmt(in) + " → " + Shapes.fmt(out);
        }

        @Override
        public String maxPool(Layer.MaxPool l) {
            return Shapes.fmt(in) + " → " + Shapes.fmt(out);
        }

        @Override
        public String add(Layer.Add l) {
            return "the sum of " + n.inputs().size() + " inputs";
        }

        @Override
        public String concat(Layer.Concat l) {
            return n.inputs().size() + " inputs side by side along the channels: " + Shapes.fmt(out);
        }

        @Override
        public String avgPool2d(Layer.AvgPool2d l) {
            return Shapes.fmt(in) + " → " + Shapes.fmt(out);
        }

        @Override
        public String concatPool(Layer.ConcatPool l) {
            return l.kind(); // drawn opened up instead (concatPool), never explained in one line
        }

        @Override
        public String relu6(Layer.Relu6 l) {
            return l.kind();
        }

        @Override
        public String hardswish(Layer.Hardswish l) {
            return l.kind();
        }

        @Override
        public String hardsigmoid(Layer.Hardsigmoid l) {
            return l.kind();
        }

        @Override
        public String silu(Layer.Silu l) {
            return l.kind();
        }

        @Override
        public String sigmoid(Layer.Sigmoid l) {
            return l.kind();
        }

        @Override
        public String mul(Layer.Mul l) {
            return l.kind();
        }

        @Override
        public String stochasticDepth(Layer.StochasticDepth l) {
            return l.kind();
        }

        @Override
        public String layerNorm2d(Layer.LayerNorm2d l) {
            return "normalised over the " + l.channels() + " channels of each pixel";
        }

        @Override
        public String channelLinear(Layer.ChannelLinear l) {
            return Shapes.fmt(in) + " → " + Shapes.fmt(out) + ": a linear map at every pixel";
        }

        @Override
        public String gelu(Layer.Gelu l) {
            return l.kind();
        }

        @Override
        public String layerScale(Layer.LayerScale l) {
            return "× a learned factor per channel";
        }
    }

    private int lastLinearIndex() {
        List<Node> head = network.headNodes();
        for (int i = head.size() - 1; i >= 0; i--) {
            if (head.get(i).layer() instanceof Layer.Linear) {
                return i;
            }
        }
        return -1;
    }

    private void groups(Svg svg, List<Box> boxes) {
        svg.open("g", "id=\"groups\"");
        List<LayerGroup> groups = network.groups();
        for (int g = 0; g < groups.size(); g++) {
            int top = Integer.MAX_VALUE;
            int bottom = Integer.MIN_VALUE;
            for (Box b : boxes) {
                if (b.group() == g) {
                    top = Math.min(top, b.y());
                    bottom = Math.max(bottom, b.bottom());
                }
            }
            if (top == Integer.MAX_VALUE) {
                continue;
            }
            String colour = GROUP_COLOURS[g % GROUP_COLOURS.length];
            boolean frozen = frozenGroup(g);
            LayerGroup group = groups.get(g);
            List<String> members = group.members();
            String span = members.size() == 1 ? members.get(0) : members.get(0) + " … " + members.get(members.size() - 1);
            svg.open("g", "id=\"group-" + g + "\" class=\"layer-group" + (frozen ? " frozen" : " trainable")
                + "\" data-group=\"" + g + "\"");
            svg.title("layer group " + g + " (" + group.name() + "): " + String.join(", ", members)
                + (frozen ? "; frozen in the state shown" : "; trains in the state shown"));
            svg.rect(BAR_X, top, 6, bottom - top, 3, "fill=\"" + colour + "\"");
            int mid = (top + bottom) / 2;
            svg.line("<text x=\"" + GUTTER_END + "\" y=\"" + (mid - 10) + "\" class=\"group-name\" text-anchor=\"end\" fill=\""
                + colour + "\" style=\"fill:" + colour + "\">" + Svg.esc("group " + g + " · " + group.name()) + "</text>");
            boolean showSpan = !span.equals(group.name());
            if (showSpan) {
                svg.text(GUTTER_END, mid + 6, "small", "end", Svg.fit(span, GUTTER_END - 16, 11, Font.SANS));
            }
            svg.text(GUTTER_END, mid + (showSpan ? 21 : 6), frozen ? "state-frozen" : "state-trainable", "end", frozen ? "frozen" : "trains");
            svg.close("g");
        }
        svg.close("g");
    }

    private List<String> outputLines() {
        int[] out = shapes.get(network.output().id());
        List<String> lines = new ArrayList<>();
        String what;
        if (task == Task.REGRESSION || network.output().layer() instanceof Layer.SigmoidRange) {
            what = "predicted values";
        } else if (task == Task.MULTI_LABEL) {
            what = "logits; a sigmoid per label gives probabilities (folded into the export)";
        } else if (task == Task.SINGLE_LABEL) {
            what = "logits; a softmax gives class probabilities (folded into the export)";
        } else {
            what = "logits; graft export folds the softmax (or sigmoid) in";
        }
        lines.add("output " + Shapes.fmt(out));
        lines.add(Svg.fit(what, BOX_W - 24, 12, Font.SANS));
        if (!labels.isEmpty()) {
            lines.add(Svg.fit(labels.size() + (task == Task.REGRESSION ? " targets: " : labels.size() == 1 ? " class: " : " classes: ")
                + String.join(", ", labels), BOX_W - 24, 12, Font.SANS));
        }
        return lines;
    }

    private List<String[]> legendRows() {
        List<String[]> rowsOut = new ArrayList<>();
        rowsOut.add(new String[] {"body", "a body stage, collapsed: hover over it to list its layers"});
        rowsOut.add(new String[] {"head", "a head layer, added by Graft as fastai's create_head does"});
        rowsOut.add(new String[] {"frozen", "frozen: no gradient, the weights stay as loaded; BatchNorm inside still trains (train_bn)"});
        rowsOut.add(new String[] {"cut", "the cut: the backbone's pooling and classifier are dropped, the head goes on"});
        rowsOut.add(new String[] {"shape", "an arrow's [C, H, W] or [F]: the tensor passed on for one image (batch left out)"});
        return rowsOut;
    }

    private void legend(Svg svg, int y, List<String[]> legend, List<String> explanation) {
        svg.open("g", "id=\"legend\"");
        svg.segment(24, y - 18, WIDTH - 24, y - 18, "stroke=\"#d0d5dd\"");
        int x = 24;
        for (String[] row : legend) {
            switch (row[0]) {
                case "body" -> svg.rect(x, y - 11, 30, 14, 3, "class=\"box body-fill\"");
                case "head" -> svg.rect(x, y - 11, 30, 14, 3, "class=\"box head-fill\"");
                case "frozen" -> svg.rect(x, y - 11, 30, 14, 3, "class=\"box frozen-fill\"");
                case "cut" -> svg.segment(x, y - 4, x + 30, y - 4, "class=\"cut-line\"");
                default -> svg.text(x, y, "shape", "start", "[C]");
            }
            svg.text(x + 42, y, "legend", "start", Svg.fit(row[1], WIDTH - 90, 12, Font.SANS));
            y += 22;
        }
        for (String line : explanation) {
            svg.text(x, y + 4, "legend", "start", line);
            y += 17;
        }
        svg.close("g");
    }

    private String title() {
        int n = shapes.get(network.output().id())[0];
        String what = task == Task.REGRESSION || network.output().layer() instanceof Layer.SigmoidRange
            ? (n == 1 ? " target" : " targets") : (n == 1 ? " output" : " classes");
        return network.arch() + " → " + n + what;
    }

    private String stateDescription() {
        String base = "freeze_to(" + freezeTo + ")";
        int groups = network.groups().size();
        if (frozenBelow == 0) {
            return base + ", fastai's unfreeze(): every layer group trains";
        }
        if (frozenBelow == groups - 1) {
            return base + ", fastai's freeze(), as in a new learner and fine_tune's first phase: only the last layer"
                + " group and the " + (trainingNorms().equals("BatchNorm") ? "BatchNorm layers" : "norm layers (BatchNorm, LayerNorm)") + " train";
        }
        return base + ": groups 0 to " + (frozenBelow - 1) + " are frozen, " + trainingNorms() + " aside";
    }

    private String description() {
        StringBuilder sb = new StringBuilder();
        sb.append(network.arch()).append(" body in ").append(stages.size()).append(" stages (");
        sb.append(String.join(", ", stages.stream().map(Stage::name).toList()));
        sb.append("), cut at ").append(network.bodyEnd()).append(", then a head of ").append(network.headNodes().size())
            .append(" layers. ").append(summary.headInputExplanation());
        return sb.toString();
    }

    /** Settings for a drawing: {@link #setNetwork} is required, everything else optional. */
    public static final class Builder {
        private Network network;
        private int height = 224;
        private int width = 224;
        private int freezeTo = -1;
        private List<String> labels;
        private Task task;
        private String source;

        private Builder() {
        }

        public Builder setNetwork(Network network) {
            this.network = network;
            return this;
        }

        /** The input size whose shapes label the arrows (default 224 x 224). */
        public Builder optInputSize(int height, int width) {
            if (height <= 0 || width <= 0) {
                throw new GraftException("input size must be positive, not " + height + "x" + width);
            }
            this.height = height;
            this.width = width;
            return this;
        }

        /**
         * The trainable state shown, as fastai's {@code freeze_to(n)}: groups before n are frozen (negative counts from
         * the end), BatchNorm aside. Default -1, fastai's {@code freeze()}: a new learner, as {@code graft summary}.
         */
        public Builder optFreezeTo(int n) {
            this.freezeTo = n;
            return this;
        }

        /** Class names (or target names) to print at the output. */
        public Builder optLabels(List<String> labels) {
            this.labels = labels;
            return this;
        }

        /** What the model predicts; decides the output's wording. */
        public Builder optTask(Task task) {
            this.task = task;
            return this;
        }

        /** Where the network came from (a checkpoint folder), printed under the title. */
        public Builder optSource(String source) {
            this.source = source;
            return this;
        }

        public NetworkDrawing build() {
            return new NetworkDrawing(this);
        }
    }
}
