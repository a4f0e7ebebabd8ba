package dev.graft.models.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.GraftException;
import java.util.ArrayList;
import java.util.List;

/**
 * The network spec's JSON form: {@code {"format": "graft-network", "version": 1, "arch", "input", "nodes", "body_end",
 * "head_start", "groups"}}.
 *
 * <p>Reading what was written gives an equal {@link Network}: attributes are written with full precision and nothing
 * is left to defaults. Each node also lists its parameters with their shapes, for people reading the file; they are
 * derived from the layer and checked, not trusted, when the file is read back.
 */
public final class NetworkJson {
    public static final String FORMAT = "graft-network";
    public static final int VERSION = 1;

    private static final ObjectMapper MAPPER = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    private NetworkJson() {
    }

    /** The spec as a JSON tree, for embedding in larger documents (checkpoints, summaries). */
    public static ObjectNode toTree(Network net) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("arch", net.arch());
        root.putObject("input").put("channels", net.inputChannels());
        ArrayNode nodes = root.putArray("nodes");
        for (Node n : net.nodes()) {
            ObjectNode o = nodes.addObject();
            o.put("id", n.id());
            o.set("layer", MAPPER.valueToTree(n.layer()));
            ArrayNode inputs = o.putArray("inputs");
            n.inputs().forEach(inputs::add);
            List<Param> params = n.layer().params();
            if (!params.isEmpty()) {
                ObjectNode ps = o.putObject("params");
                for (Param p : params) {
                    ArrayNode shape = ps.putArray(p.name());
                    p.shape().forEach(shape::add);
                }
            }
        }
        root.put("body_end", net.bodyEnd());
        net.headStart().ifPresentOrElse(h -> root.put("head_start", h), () -> root.putNull("head_start"));
        root.set("groups", MAPPER.valueToTree(net.groups()));
        return root;
    }

    public static String write(Network net) {
        try {
            return MAPPER.writeValueAsString(toTree(net)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise network " + net.arch(), e);
        }
    }

    public static Network read(String json) {
        try {
            return fromTree(MAPPER.readTree(json));
        } catch (JsonProcessingException e) {
            throw new GraftException("network spec is not valid JSON: " + e.getOriginalMessage());
        }
    }

    public static Network fromTree(JsonNode root) {
        try {
            if (root == null || !root.isObject()) {
                throw new GraftException("network spec must be a JSON object");
            }
            if (!FORMAT.equals(root.path("format").asText())) {
                throw new GraftException("not a Graft network spec (format is '" + root.path("format").asText() + "')");
            }
            int version = root.path("version").asInt(-1);
            if (version != VERSION) {
                throw new GraftException("network spec version " + version + " is not supported (this Graft reads " + VERSION + ")");
            }
            Network.Builder b = Network.builder()
                .arch(required(root, "arch").asText())
                .inputChannels(required(required(root, "input"), "channels").asInt());
            for (JsonNode o : required(root, "nodes")) {
                String id = required(o, "id").asText();
                Layer layer = MAPPER.treeToValue(required(o, "layer"), Layer.class);
                List<String> inputs = new ArrayList<>();
                required(o, "inputs").forEach(i -> inputs.add(i.asText()));
                Node node = new Node(id, layer, inputs);
                checkParams(node, o.get("params"));
                b.add(node);
            }
            b.bodyEnd(required(root, "body_end").asText());
            List<LayerGroup> groups = new ArrayList<>();
            for (JsonNode g : required(root, "groups")) {
                groups.add(MAPPER.treeToValue(g, LayerGroup.class));
            }
            Network net = b.groups(groups).build();
            JsonNode head = root.get("head_start");
            String declared = head == null || head.isNull() ? null : head.asText();
            if (!java.util.Objects.equals(declared, net.headStart().orElse(null))) {
                throw new GraftException("network spec says the head starts at " + declared
                    + " but the body ends at " + net.bodyEnd());
            }
            return net;
        } catch (JsonProcessingException e) {
            throw new GraftException("network spec is malformed: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new GraftException("network spec is inconsistent: " + e.getMessage());
        }
    }

    private static void checkParams(Node node, JsonNode declared) {
        if (declared == null) {
            return;
        }
        for (Param p : node.layer().params()) {
            JsonNode shape = declared.get(p.name());
            List<Integer> dims = new ArrayList<>();
            if (shape != null) {
                shape.forEach(d -> dims.add(d.asInt()));
            }
            if (!dims.equals(p.shape())) {
                throw new GraftException("network spec: " + node.paramName(p) + " is declared " + dims
                    + " but the layer's attributes give " + p.shape());
            }
        }
    }

    private static JsonNode required(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            throw new GraftException("network spec lacks '" + field + "'");
        }
        return v;
    }
}
