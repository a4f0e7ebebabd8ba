package dev.graft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.LabelScore;
import dev.graft.edge.ModelMetadata;
import dev.graft.edge.Prediction;
import dev.graft.edge.Task;
import java.util.List;
import java.util.Locale;

/**
 * The JSON shapes {@code graft predict --json} prints and {@code graft serve} answers, in one place so that both stay
 * the same: {@code {"file", "device", "predictions": [{"label", "probability"}], "millis"}} (regression entries carry
 * {@code value} instead of {@code probability}).
 */
final class PredictionJson {
    /** Jackson, created on first use: a plain-text {@code graft predict} should not pay for it at start-up. */
    static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();

        private Json() {
        }
    }

    private PredictionJson() {
    }

    static ObjectNode prediction(String file, Prediction p, List<LabelScore> shown, double millis) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("file", file);
        o.put("device", p.device().toString());
        ArrayNode arr = o.putArray("predictions");
        String key = p.task() == Task.REGRESSION ? "value" : "probability";
        for (LabelScore s : shown) {
            arr.addObject().put("label", s.label()).put(key, s.score());
        }
        o.put("millis", Math.round(millis * 1000) / 1000.0);
        return o;
    }

    static ObjectNode error(String message) {
        return Json.MAPPER.createObjectNode().put("error", message);
    }

    /** What {@code GET /metadata} answers: how the model is fed and read, and where it runs. */
    static ObjectNode metadata(EdgeModel model) {
        ModelMetadata m = model.metadata();
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("task", m.task().metadataValue());
        o.put("arch", m.arch());
        o.put("activation", m.activationName());
        if (m.task() == Task.MULTI_LABEL) {
            o.put("threshold", m.threshold());
        }
        ArrayNode labels = o.putArray("labels");
        m.labels().forEach(labels::add);
        ObjectNode input = o.putObject("input");
        input.put("height", m.inputHeight());
        input.put("width", m.inputWidth());
        input.put("channels", m.channels());
        input.put("resize", m.resize().metadataValue());
        ArrayNode mean = input.putArray("mean");
        for (float v : m.mean()) {
            mean.add(v);
        }
        ArrayNode std = input.putArray("std");
        for (float v : m.std()) {
            std.add(v);
        }
        o.put("precision", m.precision());
        o.put("device", model.device().toString());
        model.deviceNote().ifPresent(n -> o.put("device_note", n));
        o.put("onnxruntime", model.runtimeVersion());
        ArrayNode notes = o.putArray("assumptions");
        m.assumptions().forEach(notes::add);
        ObjectNode graft = o.putObject("graft");
        m.graftKeys().forEach(graft::put);
        return o;
    }

    /** One human-readable line: {@code file: cat 0.9120, dog 0.0610}. */
    static String line(String file, Prediction p, List<LabelScore> shown) {
        StringBuilder b = new StringBuilder(file).append(":");
        if (shown.isEmpty()) {
            b.append(" (no label above the threshold)");
        }
        String sep = " ";
        for (LabelScore s : shown) {
            b.append(sep).append(s.label()).append(p.task() == Task.REGRESSION ? "=" : " ")
                    .append(String.format(Locale.ROOT, p.task() == Task.REGRESSION ? "%.4g" : "%.4f", s.score()));
            sep = ", ";
        }
        return b.toString();
    }
}
