package dev.graft.interpret;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML page: inline CSS, inline SVG charts, thumbnails as {@code data:} URIs; no script, no font, no
 * request to anything. Built from sections, so that {@code graft interpret} and a training report assemble the same
 * sections from the same code: {@link #addSingleLabel}, {@link #addMultiLabel}, {@link #addRegression} here and
 * {@link TrainingSections} for the curves of a run.
 */
public final class HtmlReport {
    private final String title;
    private final List<String> intro = new ArrayList<>();
    private final List<String[]> sections = new ArrayList<>();

    public HtmlReport(String title) {
        this.title = title;
    }

    /** A line under the title (the model, the data, the date). */
    public HtmlReport addIntro(String text) {
        intro.add(text);
        return this;
    }

    /** A section: a heading and its HTML body (already escaped). */
    public HtmlReport addSection(String id, String heading, String html) {
        sections.add(new String[] {id, heading, html});
        return this;
    }

    /** A section whose body is one line of plain text, escaped here. */
    public HtmlReport addNoteSection(String id, String heading, String text) {
        return addSection(id, heading, "<p class=\"note\">" + Svg.escape(text) + "</p>");
    }

    /** Section ids in order. */
    public List<String> sectionIds() {
        return sections.stream().map(s -> s[0]).toList();
    }

    /** The page. */
    public String toHtml() {
        StringBuilder sb = new StringBuilder(1 << 16);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">")
                .append("<title>").append(Svg.escape(title)).append("</title><style>")
                .append("body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}")
                .append("h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}")
                .append("table{border-collapse:collapse;font-size:13px;margin:8px 0}")
                .append("td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}")
                .append("td:first-child,th:first-child{text-align:left}")
                .append(".charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}")
                .append(".losses{display:flex;flex-wrap:wrap;gap:12px}")
                .append("figure{margin:0;width:170px;font-size:11px;overflow-wrap:anywhere}")
                .append("figure img{display:block;max-width:160px;max-height:160px;border:1px solid #ccc}")
                .append(".noimg{width:160px;height:60px;background:#eee;display:flex;align-items:center;justify-content:center}")
                .append(".note{color:#666;font-size:13px}</style></head><body>\n");
        sb.append("<h1>").append(Svg.escape(title)).append("</h1>\n");
        for (String line : intro) {
            sb.append("<p class=\"note\">").append(Svg.escape(line)).append("</p>\n");
        }
        for (String[] s : sections) {
            sb.append("<section id=\"").append(Svg.escape(s[0])).append("\"><h2>").append(Svg.escape(s[1])).append("</h2>\n")
                    .append(s[2]).append("</section>\n");
        }
        return sb.append("</body></html>\n").toString();
    }

    /** A number as a person reads it: up to four significant digits, no exponent between 1e-4 and 1e6. */
    public static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e6 || a < 1e-4) {
            return String.format(Locale.ROOT, "%.3g", v).replace("e+0", "e").replace("e-0", "e-").replace("e+", "e");
        }
        String s = new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
        return s;
    }

    static String table(List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder("<table><thead><tr>");
        for (String h : header) {
            sb.append("<th>").append(Svg.escape(h)).append("</th>");
        }
        sb.append("</tr></thead><tbody>");
        for (List<String> r : rows) {
            sb.append("<tr>");
            for (String c : r) {
                sb.append("<td>").append(Svg.escape(c)).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</tbody></table>").toString();
    }

    private static String percent(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    /** The single-label sections: summary, confusion matrix (counts and row-normalised), report, calibration, losses. */
    public HtmlReport addSingleLabel(SingleLabelInterpretation in, int mostConfusedMin, Thumbnails.Maker thumbs) {
        ClassificationReport r = in.report();
        double[] topK = in.topKAccuracy();
        List<List<String>> summary = new ArrayList<>();
        summary.add(List.of("images", Long.toString(in.count())));
        summary.add(List.of("accuracy", percent(r.accuracy())));
        for (int k = 1; k < topK.length; k++) {
            summary.add(List.of("top-" + (k + 1) + " accuracy", percent(topK[k])));
        }
        summary.add(List.of("mean cross-entropy", number(in.meanLoss())));
        summary.add(List.of("expected calibration error", number(in.reliability().ece())));
        summary.add(List.of("unreadable images", Long.toString(in.unreadable().count())));
        addSection("summary", "Summary", table(List.of("measure", "value"), summary));

        List<String> classes = in.classes();
        long[][] counts = in.confusion().counts();
        double[][] norm = in.confusion().rowNormalised();
        long max = 1;
        for (long[] row : counts) {
            for (long c : row) {
                max = Math.max(max, c);
            }
        }
        double[][] shade = new double[classes.size()][classes.size()];
        String[][] countText = new String[classes.size()][classes.size()];
        String[][] normText = new String[classes.size()][classes.size()];
        for (int i = 0; i < classes.size(); i++) {
            for (int j = 0; j < classes.size(); j++) {
                shade[i][j] = counts[i][j] / (double) max;
                countText[i][j] = Long.toString(counts[i][j]);
                normText[i][j] = String.format(Locale.ROOT, "%.2f", norm[i][j]);
            }
        }
        addSection("confusion", "Confusion matrix", "<div class=\"charts\">"
                + Svg.heatmap("confusion-counts", "Confusion matrix (counts)", classes, shade, countText)
                + Svg.heatmap("confusion-normalised", "Confusion matrix (share of each actual class)", classes, norm, normText)
                + "</div>");
        List<List<String>> confused = new ArrayList<>();
        for (ConfusionMatrix.Confusion c : in.confusion().mostConfused(mostConfusedMin)) {
            confused.add(List.of(c.actual(), c.predicted(), Long.toString(c.count())));
            if (confused.size() == 50) {
                break;
            }
        }
        addSection("most-confused", "Most confused (at least " + Math.max(1, mostConfusedMin) + ")",
                confused.isEmpty() ? "<p class=\"note\">No class was taken for another that often.</p>"
                        : table(List.of("actual", "predicted", "count"), confused));
        List<List<String>> rows = new ArrayList<>();
        for (ClassificationReport.ClassMetrics m : r.classes()) {
            rows.add(List.of(m.label(), number(m.precision()), number(m.recall()), number(m.f1()), Long.toString(m.support())));
        }
        rows.add(List.of("accuracy", "", "", number(r.accuracy()), Long.toString(r.total())));
        rows.add(List.of("macro avg", number(r.macro().precision()), number(r.macro().recall()), number(r.macro().f1()),
                Long.toString(r.macro().support())));
        rows.add(List.of("weighted avg", number(r.weighted().precision()), number(r.weighted().recall()),
                number(r.weighted().f1()), Long.toString(r.weighted().support())));
        StringBuilder rep = new StringBuilder(table(List.of("class", "precision", "recall", "f1-score", "support"), rows));
        for (String w : r.warnings()) {
            rep.append("<p class=\"note\">").append(Svg.escape(w)).append("</p>");
        }
        addSection("report", "Classification report", rep.toString());
        addSection("calibration", "Calibration", "<div class=\"charts\">"
                + Svg.reliability(in.reliability().bins(), in.reliability().ece())
                + "</div><p class=\"note\">" + Reliability.BINS + " equal-width confidence bins (lo, hi], the first closed"
                + " at 0; bars are each bin's accuracy, the shaded part its gap to the bin's mean confidence; the dashed"
                + " line is perfect calibration.</p>");
        addTopLosses(in.topLosses(), "probability", thumbs);
        addUnreadable(in.unreadable());
        return this;
    }

    /** The multi-label sections: per-label figures at the threshold, the sweep, the top losses by BCE. */
    public HtmlReport addMultiLabel(MultiLabelInterpretation in, Thumbnails.Maker thumbs) {
        List<MultiLabelInterpretation.LabelMetrics> metrics = in.labelMetrics();
        List<List<String>> rows = new ArrayList<>();
        for (MultiLabelInterpretation.LabelMetrics m : metrics) {
            rows.add(List.of(m.label(), number(m.precision()), number(m.recall()), number(m.f1()), Long.toString(m.support()),
                    number(m.bestThreshold()), number(m.bestF1())));
        }
        addSection("summary", "Summary", table(List.of("measure", "value"), List.of(
                List.of("images", Long.toString(in.count())),
                List.of("threshold", number(in.threshold())),
                List.of("exact match", percent(in.exactMatch())),
                List.of("unreadable images", Long.toString(in.unreadable().count())))));
        addSection("labels", "Per label at threshold " + number(in.threshold()),
                table(List.of("label", "precision", "recall", "f1-score", "support", "best threshold", "best f1"), rows));
        StringBuilder charts = new StringBuilder("<div class=\"charts\">");
        for (MultiLabelInterpretation.LabelMetrics m : metrics) {
            charts.append(Svg.lines("sweep", "F1 against threshold: " + m.label(), "threshold", "F1",
                    List.of(new Svg.Series(m.label(), MultiLabelInterpretation.SWEEP, m.sweepF1(), false, true)), false,
                    m.bestThreshold(), "best " + number(m.bestThreshold())));
        }
        addSection("sweep", "Threshold sweep", charts.append("</div>").toString());
        addTopLosses(in.topLosses(), "top probability", thumbs);
        addUnreadable(in.unreadable());
        return this;
    }

    /** The regression sections: errors per output, predicted against actual, residuals. */
    public HtmlReport addRegression(RegressionInterpretation in, Thumbnails.Maker thumbs) {
        List<List<String>> rows = new ArrayList<>();
        for (RegressionInterpretation.OutputMetrics m : in.metrics()) {
            rows.add(List.of(m.output(), number(m.mae()), number(m.rmse()), number(m.r2())));
        }
        addSection("summary", "Summary", "<p>" + in.count() + " images, " + in.unreadable().count() + " unreadable.</p>"
                + table(List.of("output", "MAE", "RMSE", "R\u00b2"), rows));
        List<float[][]> sample = in.sample();
        StringBuilder charts = new StringBuilder("<div class=\"charts\">");
        for (int o = 0; o < in.outputs().size(); o++) {
            double[] actual = new double[sample.size()];
            double[] predicted = new double[sample.size()];
            double[] residual = new double[sample.size()];
            for (int i = 0; i < sample.size(); i++) {
                predicted[i] = sample.get(i)[0][o];
                actual[i] = sample.get(i)[1][o];
                residual[i] = predicted[i] - actual[i];
            }
            String name = in.outputs().get(o);
            charts.append(Svg.scatter("scatter", "Predicted against actual: " + name, "actual", "predicted", actual,
                    predicted, true, false));
            charts.append(Svg.scatter("residuals", "Residuals: " + name, "predicted", "predicted - actual", predicted,
                    residual, false, true));
        }
        addSection("scatter", "Predicted against actual (" + sample.size() + " images sampled)",
                charts.append("</div>").toString());
        addTopLosses(in.topLosses(), "", thumbs);
        addUnreadable(in.unreadable());
        return this;
    }

    private void addTopLosses(TopLosses losses, String probabilityName, Thumbnails.Maker thumbs) {
        List<TopLosses.Entry> entries = losses.highestFirst();
        StringBuilder sb = new StringBuilder("<p class=\"note\">Each titled predicted / actual / loss"
                + (probabilityName.isEmpty() ? "" : " / " + probabilityName + " of the prediction")
                + ", as fastai's plot_top_losses; the picture links to the file.</p><div class=\"losses\">");
        for (TopLosses.Entry e : entries) {
            String uri = fileUri(e.file());
            String data = thumbs.dataUri(e.file());
            sb.append("<figure class=\"loss\">");
            String img = data == null ? "<div class=\"noimg\">no preview</div>"
                    : "<img class=\"thumb\" alt=\"" + Svg.escape(Path.of(e.file()).getFileName().toString()) + "\" src=\""
                    + data + "\">";
            sb.append(uri == null ? img : "<a href=\"" + Svg.escape(uri) + "\">" + img + "</a>");
            sb.append("<figcaption>").append(Svg.escape(e.predicted() + " / " + e.actual() + " / " + number(e.loss())
                    + (Double.isNaN(e.probability()) ? "" : " / " + number(e.probability())))).append("<br>")
                    .append(Svg.escape(Path.of(e.file()).getFileName().toString())).append("</figcaption></figure>");
        }
        addSection("top-losses", "Top losses (" + entries.size() + ")",
                entries.isEmpty() ? "<p class=\"note\">None.</p>" : sb.append("</div>").toString());
    }

    private static String fileUri(String file) {
        try {
            URI u = Path.of(file).toAbsolutePath().toUri();
            return u.toString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void addUnreadable(Unreadable u) {
        if (u.count() == 0) {
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (Unreadable.Entry e : u.entries()) {
            rows.add(List.of(e.file(), e.reason()));
        }
        addSection("unreadable", "Unreadable images (" + u.count() + ")", table(List.of("file", "reason"), rows)
                + (u.count() > u.entries().size() ? "<p class=\"note\">" + (u.count() - u.entries().size())
                        + " more not listed.</p>" : ""));
    }
}
