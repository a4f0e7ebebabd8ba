package dev.graft.models.summary;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.spec.Param;
import dev.graft.models.spec.Shapes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * "What was added to my backbone?": every layer with its output shape, parameters, trainable state and group, the
 * body and the head told apart, and the totals.
 *
 * <p>Trainable state follows fastai's learner: groups before {@code freezeTo} are frozen except their BatchNorm
 * layers (train_bn), so a freshly made learner ({@code freezeTo = -1}, fastai's {@code freeze()}) trains the head and
 * every BatchNorm.
 */
public final class NetworkSummary {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One printed row. */
    public record Row(String id, String type, String part, int[] output, long params, String state, int group) {
    }

    private final Network network;
    private final int height;
    private final int width;
    private final int freezeTo;
    private final String bodyWeights;
    private final List<Row> rows = new ArrayList<>();

    /**
     * A summary of the network alone, no weights given: the body's heading says random initialisation, which is
     * where training without pretrained weights starts.
     *
     * @param freezeTo fastai's freeze_to(n): groups before n are frozen; negative counts from the end, 0 trains all
     */
    public NetworkSummary(Network network, int height, int width, int freezeTo) {
        this(network, height, width, freezeTo, null);
    }

    /**
     * @param freezeTo fastai's freeze_to(n): groups before n are frozen; negative counts from the end, 0 trains all
     * @param bodyWeights where the body's weights come from, as the body's heading prints it ("pretrained weights from
     *     resnet34.pth"); null when none are given
     */
    public NetworkSummary(Network network, int height, int width, int freezeTo, String bodyWeights) {
        this.network = network;
        this.bodyWeights = bodyWeights == null ? "no weights given: random initialisation" : bodyWeights;
        this.height = height;
        this.width = width;
        int groups = network.groups().size();
        this.freezeTo = freezeTo < 0 ? Math.max(0, groups + freezeTo) : Math.min(freezeTo, groups);
        Map<String, int[]> shapes = Shapes.infer(network, height, width);
        for (Node n : network.nodes()) {
            long params = Network.learnableCount(List.of(n));
            int group = network.groupOf(n.id());
            String state;
            if (params == 0) {
                state = "-";
            } else if (group >= this.freezeTo) {
                state = "trainable";
            } else if (n.layer() instanceof Layer.BatchNorm) {
                state = "trainable (bn)";
            } else if (n.layer() instanceof Layer.LayerNorm2d) {
                // fastai's norm_types include nn.LayerNorm (torchvision's LayerNorm2d is one): train_bn keeps them training
                state = "trainable (norm)";
            } else {
                state = "frozen";
            }
            rows.add(new Row(n.id(), describe(n.layer()), network.isHead(n) ? "head" : "body", shapes.get(n.id()),
                params, state, group));
        }
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    public long bodyParams() {
        return Network.learnableCount(network.bodyNodes());
    }

    public long headParams() {
        return Network.learnableCount(network.headNodes());
    }

    public long trainableParams() {
        return rows.stream().filter(r -> r.state().startsWith("trainable")).mapToLong(Row::params).sum();
    }

    /** A layer as PyTorch would print it, compactly. */
    public static String describe(Layer l) {
        return l.accept(DESCRIBE);
    }

    private static final Layer.Visitor<String> DESCRIBE = new Layer.Visitor<>() {
        @Override
        public String conv2d(Layer.Conv2d c) {
            String k = c.kernelH() == c.kernelW() ? Integer.toString(c.kernelH()) : c.kernelH() + "x" + c.kernelW();
            return "Conv2d(" + c.in() + ", " + c.out() + ", k=" + k + ", s=" + c.strideH() + ", p=" + c.padH()
                + (c.groups() > 1 ? ", groups=" + c.groups() : "") + (c.bias() ? ", bias" : "") + ")";
        }

        @Override
        public String batchNorm(Layer.BatchNorm b) {
            return "BatchNorm" + b.dims() + "d(" + b.features() + (b.eps() != Layer.BatchNorm.DEFAULT_EPS ? ", eps=" + b.eps() : "")
                + (b.momentum() != Layer.BatchNorm.DEFAULT_MOMENTUM ? ", momentum=" + b.momentum() : "") + ")";
        }

        @Override
        public String maxPool(Layer.MaxPool p) {
            return "MaxPool2d(k=" + p.kernel() + ", s=" + p.stride() + ", p=" + p.padding()
                + (p.ceilMode() ? ", ceil_mode=True" : "") + ")";
        }

        @Override
        public String avgPool2d(Layer.AvgPool2d p) {
            return "AvgPool2d(k=" + p.kernel() + ", s=" + p.stride() + ", p=" + p.padding() + ")";
        }

        @Override
        public String concat(Layer.Concat l) {
            return "Concat (channels)";
        }

        @Override
        public String concatPool(Layer.ConcatPool l) {
            return "AdaptiveConcatPool2d(max, avg)";
        }

        @Override
        public String avgPool(Layer.AvgPool l) {
            return "AdaptiveAvgPool2d(1)";
        }

        @Override
        public String dropout(Layer.Dropout d) {
            return "Dropout(p=" + d.p() + ")";
        }

        @Override
        public String linear(Layer.Linear lin) {
            return "Linear(" + lin.in() + ", " + lin.out() + (lin.bias() ? "" : ", bias=False") + ")";
        }

        @Override
        public String sigmoidRange(Layer.SigmoidRange s) {
            return "SigmoidRange(" + s.low() + ", " + s.high() + ")";
        }

        @Override
        public String add(Layer.Add l) {
            return "Add (residual)";
        }

        @Override
        public String relu(Layer.Relu l) {
            return "ReLU";
        }

        @Override
        public String flatten(Layer.Flatten l) {
            return "Flatten";
        }

        @Override
        public String relu6(Layer.Relu6 l) {
            return "ReLU6";
        }

        @Override
        public String hardswish(Layer.Hardswish l) {
            return "Hardswish";
        }

        @Override
        public String hardsigmoid(Layer.Hardsigmoid l) {
            return "Hardsigmoid";
        }

        @Override
        public String silu(Layer.Silu l) {
            return "SiLU";
        }

        @Override
        public String sigmoid(Layer.Sigmoid l) {
            return "Sigmoid";
        }

        @Override
        public String mul(Layer.Mul l) {
            return "Mul (channel scale)";
        }

        @Override
        public String stochasticDepth(Layer.StochasticDepth d) {
            return "StochasticDepth(p=" + d.p() + ", " + d.mode() + ")";
        }

        @Override
        public String layerNorm2d(Layer.LayerNorm2d l) {
            return "LayerNorm2d(" + l.channels() + ", eps=" + pythonFloat(l.eps()) + ")";
        }

        @Override
        public String channelLinear(Layer.ChannelLinear l) {
            return "Linear(" + l.in() + ", " + l.out() + (l.bias() ? "" : ", bias=False") + ") per pixel";
        }

        @Override
        public String gelu(Layer.Gelu l) {
            return "GELU";
        }

        @Override
        public String layerScale(Layer.LayerScale l) {
            return "LayerScale(" + l.channels() + ")";
        }
    };

    /** Why the head takes the features it takes, in one sentence. */
    public String headInputExplanation() {
        List<Node> head = network.headNodes();
        if (head.isEmpty()) {
            return "This network has no head.";
        }
        int nf = Shapes.infer(network, height, width).get(network.bodyEnd())[0];
        if (head.get(0).layer() instanceof Layer.ConcatPool) {
            return "The head takes " + (2 * nf) + " features = 2 x " + nf + ": AdaptiveConcatPool2d concatenates the max"
                + " and the average of each of the body's " + nf + " channels (max first).";
        }
        return "The head takes the body's " + nf + " channels.";
    }

    /** The plain-text table. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        int idWidth = Math.max(22, rows.stream().mapToInt(r -> r.id().length()).max().orElse(0) + 2);
        int typeWidth = Math.max(24, rows.stream().mapToInt(r -> r.type().length()).max().orElse(0) + 2);
        String fmt = "%-" + idWidth + "s%-" + typeWidth + "s%-18s%12s  %-16s%s%n";
        int[] input = {network.inputChannels(), height, width};
        sb.append(String.format(Locale.ROOT, "%s, input %s (batch dimension left out)%n", network.arch(), Shapes.fmt(input)));
        String rule = "-".repeat(idWidth + typeWidth + 18 + 12 + 2 + 16 + 5) + System.lineSeparator();
        String part = null;
        for (Row r : rows) {
            if (!r.part().equals(part)) {
                part = r.part();
                sb.append(rule);
                sb.append(part.equals("body")
                    ? "BODY: " + network.arch() + " cut at " + network.bodyEnd() + " (" + bodyWeights + ")" + System.lineSeparator()
                    : "HEAD: added by Graft (fastai create_head), starts at " + r.id() + System.lineSeparator());
                sb.append(String.format(Locale.ROOT, fmt, "layer", "type", "output", "params", "state", "group"));
            }
            sb.append(String.format(Locale.ROOT, fmt, r.id(), r.type(), Shapes.fmt(r.output()), num(r.params()), r.state(),
                network.groups().get(r.group()).name()));
        }
        sb.append(rule);
        long total = bodyParams() + headParams();
        sb.append(String.format(Locale.ROOT, "body   %,15d params%n", bodyParams()));
        sb.append(String.format(Locale.ROOT, "head   %,15d params%n", headParams()));
        sb.append(String.format(Locale.ROOT, "total  %,15d params (%,d trainable, %,d frozen)%n", total,
            trainableParams(), total - trainableParams()));
        sb.append(headInputExplanation()).append(System.lineSeparator());
        sb.append("Layer groups (fastai split): ");
        for (int i = 0; i < network.groups().size(); i++) {
            sb.append(i == 0 ? "" : "; ").append(i).append(' ').append(network.groups().get(i).name()).append(" = ")
                .append(String.join(", ", network.groups().get(i).members()));
        }
        sb.append(System.lineSeparator());
        return sb.toString();
    }

    /**
     * A double as Python's {@code repr} writes it ({@code 1e-06}, {@code 0.001}), so the type column reads like the
     * PyTorch module it describes rather than Java's {@code 1.0E-6}.
     */
    static String pythonFloat(double d) {
        String text = Double.toString(d);
        int e = text.indexOf('E');
        if (e < 0) {
            return text;
        }
        String mantissa = text.substring(0, e).replaceFirst("\\.0$", "");
        int exponent = Integer.parseInt(text.substring(e + 1));
        if (exponent >= -4 && exponent < 16) {
            return new java.math.BigDecimal(text).stripTrailingZeros().toPlainString();
        }
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format(java.util.Locale.ROOT, "%02d", Math.abs(exponent));
    }

    private static String num(long n) {
        return n == 0 ? "0" : String.format(Locale.ROOT, "%,d", n);
    }

    /** The same as one JSON object: {@code body.params}, {@code head.params}, {@code total.params}, {@code layers}. */
    public ObjectNode toJson() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("arch", network.arch());
        ArrayNode in = root.putArray("input");
        in.add(network.inputChannels()).add(height).add(width);
        ObjectNode body = root.putObject("body");
        body.put("params", bodyParams());
        body.put("end", network.bodyEnd());
        ObjectNode head = root.putObject("head");
        head.put("params", headParams());
        network.headStart().ifPresent(h -> head.put("start", h));
        head.put("explanation", headInputExplanation());
        ObjectNode total = root.putObject("total");
        total.put("params", bodyParams() + headParams());
        total.put("trainable", trainableParams());
        total.put("frozen", bodyParams() + headParams() - trainableParams());
        ArrayNode groups = root.putArray("groups");
        network.groups().forEach(g -> {
            ObjectNode o = groups.addObject();
            o.put("name", g.name());
            ArrayNode m = o.putArray("members");
            g.members().forEach(m::add);
        });
        ArrayNode layers = root.putArray("layers");
        for (Row r : rows) {
            ObjectNode o = layers.addObject();
            o.put("name", r.id());
            o.put("kind", network.node(r.id()).layer().kind());
            o.put("type", r.type());
            o.put("part", r.part());
            ArrayNode shape = o.putArray("output");
            for (int d : r.output()) {
                shape.add(d);
            }
            o.put("params", r.params());
            o.put("trainable", r.state().startsWith("trainable"));
            o.put("state", r.state());
            o.put("group", r.group());
            ObjectNode ps = o.putObject("param_shapes");
            for (Param p : network.node(r.id()).layer().params()) {
                ArrayNode s = ps.putArray(p.name());
                p.shape().forEach(s::add);
            }
        }
        return root;
    }
}
