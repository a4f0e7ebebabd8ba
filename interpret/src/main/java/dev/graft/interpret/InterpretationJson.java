package dev.graft.interpret;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The interpretation as JSON (for scripts and CI) and as CSV (one row per class, label or output). */
public final class InterpretationJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private InterpretationJson() {
    }

    public static String toJson(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectNode singleLabel(SingleLabelInterpretation in, int mostConfusedMin) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("task", "single_label");
        o.put("images", in.count());
        ClassificationReport r = in.report();
        o.put("accuracy", r.accuracy());
        ArrayNode topK = o.putArray("top_k_accuracy");
        for (double v : in.topKAccuracy()) {
            topK.add(v);
        }
        o.put("mean_loss", in.meanLoss());
        o.put("ece", in.reliability().ece());
        ArrayNode classes = o.putArray("classes");
        in.classes().forEach(classes::add);
        ArrayNode cm = o.putArray("confusion_matrix");
        for (long[] row : in.confusion().counts()) {
            ArrayNode a = cm.addArray();
            for (long c : row) {
                a.add(c);
            }
        }
        ArrayNode mc = o.putArray("most_confused");
        for (ConfusionMatrix.Confusion c : in.confusion().mostConfused(mostConfusedMin)) {
            mc.addObject().put("actual", c.actual()).put("predicted", c.predicted()).put("count", c.count());
        }
        ObjectNode rep = o.putObject("report");
        for (ClassificationReport.ClassMetrics m : r.classes()) {
            rep.putObject(m.label()).put("precision", m.precision()).put("recall", m.recall()).put("f1-score", m.f1())
                    .put("support", m.support());
        }
        rep.putObject("macro avg").put("precision", r.macro().precision()).put("recall", r.macro().recall())
                .put("f1-score", r.macro().f1()).put("support", r.macro().support());
        rep.putObject("weighted avg").put("precision", r.weighted().precision()).put("recall", r.weighted().recall())
                .put("f1-score", r.weighted().f1()).put("support", r.weighted().support());
        ArrayNode warn = o.putArray("warnings");
        r.warnings().forEach(warn::add);
        ArrayNode rel = o.putArray("reliability");
        for (Reliability.Bin b : in.reliability().bins()) {
            rel.addObject().put("lo", b.lo()).put("hi", b.hi()).put("count", b.count()).put("accuracy", b.accuracy())
                    .put("confidence", b.confidence());
        }
        losses(o, in.topLosses());
        unreadable(o, in.unreadable());
        return o;
    }

    public static ObjectNode multiLabel(MultiLabelInterpretation in) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("task", "multi_label");
        o.put("images", in.count());
        o.put("threshold", in.threshold());
        o.put("exact_match", in.exactMatch());
        ArrayNode sweep = o.putArray("sweep_thresholds");
        for (double t : MultiLabelInterpretation.SWEEP) {
            sweep.add(t);
        }
        ArrayNode labels = o.putArray("labels");
        for (MultiLabelInterpretation.LabelMetrics m : in.labelMetrics()) {
            ObjectNode l = labels.addObject().put("label", m.label()).put("precision", m.precision())
                    .put("recall", m.recall()).put("f1-score", m.f1()).put("support", m.support())
                    .put("best_threshold", m.bestThreshold()).put("best_f1", m.bestF1());
            ArrayNode f = l.putArray("sweep_f1");
            for (double v : m.sweepF1()) {
                f.add(v);
            }
        }
        losses(o, in.topLosses());
        unreadable(o, in.unreadable());
        return o;
    }

    public static ObjectNode regression(RegressionInterpretation in) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("task", "regression");
        o.put("images", in.count());
        ArrayNode outs = o.putArray("outputs");
        for (RegressionInterpretation.OutputMetrics m : in.metrics()) {
            ObjectNode n = outs.addObject().put("output", m.output()).put("mae", m.mae()).put("rmse", m.rmse());
            if (Double.isNaN(m.r2())) {
                n.putNull("r2");
            } else {
                n.put("r2", m.r2());
            }
        }
        losses(o, in.topLosses());
        unreadable(o, in.unreadable());
        return o;
    }

    private static void losses(ObjectNode o, TopLosses losses) {
        ArrayNode a = o.putArray("top_losses");
        for (TopLosses.Entry e : losses.highestFirst()) {
            ObjectNode n = a.addObject().put("file", e.file()).put("actual", e.actual()).put("predicted", e.predicted())
                    .put("loss", e.loss());
            if (!Double.isNaN(e.probability())) {
                n.put("probability", e.probability());
            }
        }
    }

    private static void unreadable(ObjectNode o, Unreadable u) {
        o.put("unreadable_count", u.count());
        ArrayNode a = o.putArray("unreadable");
        for (Unreadable.Entry e : u.entries()) {
            a.addObject().put("file", e.file()).put("reason", e.reason());
        }
    }

    /** One row per class with precision, recall, F1 and support, then the averages (scikit-learn's layout). */
    public static String singleLabelCsv(SingleLabelInterpretation in) {
        ClassificationReport r = in.report();
        StringBuilder sb = new StringBuilder("class,precision,recall,f1-score,support\n");
        for (ClassificationReport.ClassMetrics m : r.classes()) {
            row(sb, m.label(), m.precision(), m.recall(), m.f1(), m.support());
        }
        row(sb, "macro avg", r.macro().precision(), r.macro().recall(), r.macro().f1(), r.macro().support());
        row(sb, "weighted avg", r.weighted().precision(), r.weighted().recall(), r.weighted().f1(), r.weighted().support());
        return sb.toString();
    }

    public static String multiLabelCsv(MultiLabelInterpretation in) {
        StringBuilder sb = new StringBuilder("label,precision,recall,f1-score,support,best_threshold,best_f1\n");
        for (MultiLabelInterpretation.LabelMetrics m : in.labelMetrics()) {
            sb.append(cell(m.label())).append(',').append(m.precision()).append(',').append(m.recall()).append(',')
                    .append(m.f1()).append(',').append(m.support()).append(',').append(m.bestThreshold()).append(',')
                    .append(m.bestF1()).append('\n');
        }
        return sb.toString();
    }

    public static String regressionCsv(RegressionInterpretation in) {
        StringBuilder sb = new StringBuilder("output,mae,rmse,r2\n");
        for (RegressionInterpretation.OutputMetrics m : in.metrics()) {
            sb.append(cell(m.output())).append(',').append(m.mae()).append(',').append(m.rmse()).append(',')
                    .append(Double.isNaN(m.r2()) ? "" : Double.toString(m.r2())).append('\n');
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String label, double p, double r, double f, long s) {
        sb.append(cell(label)).append(',').append(p).append(',').append(r).append(',').append(f).append(',').append(s)
                .append('\n');
    }

    /** RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so that a spreadsheet does not run it. */
    static String cell(String s) {
        String v = !s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 ? "'" + s : s;
        if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
            return "\"" + v.replace("\"", "\"\"") + "\"";
        }
        return v;
    }


}
