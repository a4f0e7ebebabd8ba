package dev.graft.interpret;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts, drawn by hand so that the report needs no script and no network. Text sizes and positions are
 * chosen so that no two texts overlap (the browser test measures it): tick labels are spaced for their width, long class
 * names are shortened, and matrix column names run vertically.
 */
final class Svg {
    static final int WIDTH = 640;
    static final int HEIGHT = 320;
    private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
    private static final double CHAR_WIDTH = 0.62; // of the font size, for the system sans-serif at worst

    private Svg() {
    }

    /** One line of a chart; NaN values are gaps. */
    record Series(String name, double[] x, double[] y, boolean dashed, boolean dots) {
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
            }
        }
        return sb.toString();
    }

    static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static StringBuilder open(String chartClass, int w, int h, String title) {
        StringBuilder sb = new StringBuilder();
        sb.append("<svg class=\"chart ").append(chartClass).append("\" width=\"")
                .append(w).append("\" height=\"").append(h).append("\" viewBox=\"0 0 ").append(w).append(' ').append(h)
                .append("\" role=\"img\"><title>").append(escape(title)).append("</title>")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
        sb.append("<text x=\"").append(w / 2).append("\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">")
                .append(escape(shorten(title, (int) (w / (14 * CHAR_WIDTH)) - 2))).append("</text>");
        return sb;
    }

    /** "Nice" tick values covering [lo, hi], about {@code count} of them. */
    static double[] ticks(double lo, double hi, int count) {
        if (!(hi > lo)) {
            return new double[] {lo};
        }
        double raw = (hi - lo) / Math.max(1, count);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * mag >= raw) {
                step = m * mag;
                break;
            }
        }
        List<Double> t = new ArrayList<>();
        for (double v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
            t.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        }
        return t.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * A line chart: one or more series on shared axes, a legend at the right when there are several, an optional
     * vertical marker (a suggested learning rate, a best threshold).
     */
    static String lines(String cssClass, String title, String xLabel, String yLabel, List<Series> series, boolean logX,
                        double markX, String markLabel) {
        boolean legend = series.size() > 1;
        int left = 64;
        int right = legend ? 150 : 20;
        int top = 32;
        int bottom = 48;
        int pw = WIDTH - left - right;
        int ph = HEIGHT - top - bottom;
        double xmin = Double.POSITIVE_INFINITY;
        double xmax = Double.NEGATIVE_INFINITY;
        double ymin = Double.POSITIVE_INFINITY;
        double ymax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                double x = logX ? Math.log10(s.x()[i]) : s.x()[i];
                double y = s.y()[i];
                if (Double.isFinite(x) && Double.isFinite(y)) {
                    xmin = Math.min(xmin, x);
                    xmax = Math.max(xmax, x);
                    ymin = Math.min(ymin, y);
                    ymax = Math.max(ymax, y);
                }
            }
        }
        StringBuilder sb = open(cssClass, WIDTH, HEIGHT, title);
        if (!Double.isFinite(xmin)) {
            sb.append("<text x=\"").append(WIDTH / 2).append("\" y=\"").append(HEIGHT / 2)
                    .append("\" text-anchor=\"middle\" font-size=\"12\">no data</text></svg>");
            return sb.toString();
        }
        if (xmax == xmin) {
            xmin -= 0.5;
            xmax += 0.5;
        }
        if (ymax == ymin) {
            ymin -= 0.5;
            ymax += 0.5;
        }
        double pad = (ymax - ymin) * 0.05;
        ymin -= pad;
        ymax += pad;
        final double x0 = xmin;
        final double x1 = xmax;
        final double y0 = ymin;
        final double y1 = ymax;
        java.util.function.DoubleUnaryOperator sx = v -> left + (v - x0) / (x1 - x0) * pw;
        java.util.function.DoubleUnaryOperator sy = v -> top + ph - (v - y0) / (y1 - y0) * ph;
        axes(sb, left, top, pw, ph);
        double[] xt = logX ? logTicks(xmin, xmax) : ticks(xmin, xmax, Math.max(2, pw / 90));
        for (double t : xt) {
            double px = sx.applyAsDouble(t);
            sb.append("<line x1=\"").append(f(px)).append("\" y1=\"").append(top + ph).append("\" x2=\"").append(f(px))
                    .append("\" y2=\"").append(top + ph + 4).append("\" stroke=\"#333\"/>");
            sb.append("<text x=\"").append(f(px)).append("\" y=\"").append(top + ph + 16)
                    .append("\" text-anchor=\"middle\" font-size=\"10\">")
                    .append(escape(logX ? HtmlReport.number(Math.pow(10, t)) : HtmlReport.number(t))).append("</text>");
        }
        for (double t : ticks(ymin, ymax, Math.max(2, ph / 50))) {
            double py = sy.applyAsDouble(t);
            sb.append("<line x1=\"").append(left - 4).append("\" y1=\"").append(f(py)).append("\" x2=\"").append(left + pw)
                    .append("\" y2=\"").append(f(py)).append("\" stroke=\"#eee\"/>");
            sb.append("<text x=\"").append(left - 6).append("\" y=\"").append(f(py + 3))
                    .append("\" text-anchor=\"end\" font-size=\"10\">").append(escape(HtmlReport.number(t))).append("</text>");
        }
        axisLabels(sb, xLabel + (logX ? " (log scale)" : ""), yLabel, left, top, pw, ph);
        if (Double.isFinite(markX)) {
            double m = logX ? Math.log10(markX) : markX;
            if (m >= xmin && m <= xmax) {
                double px = sx.applyAsDouble(m);
                sb.append("<line class=\"marker\" x1=\"").append(f(px)).append("\" y1=\"").append(top).append("\" x2=\"")
                        .append(f(px)).append("\" y2=\"").append(top + ph).append("\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>");
                boolean flip = px > left + pw * 0.7;
                sb.append("<text x=\"").append(f(flip ? px - 4 : px + 4)).append("\" y=\"").append(top + 12)
                        .append("\" text-anchor=\"").append(flip ? "end" : "start").append("\" font-size=\"10\" fill=\"#d62728\">")
                        .append(escape(shorten(markLabel, 28))).append("</text>");
            }
        }
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            String colour = COLOURS[k % COLOURS.length];
            StringBuilder path = new StringBuilder();
            boolean pen = false;
            for (int i = 0; i < s.x().length; i++) {
                double x = logX ? Math.log10(s.x()[i]) : s.x()[i];
                double y = s.y()[i];
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    pen = false;
                    continue;
                }
                path.append(pen ? "L" : "M").append(f(sx.applyAsDouble(x))).append(' ').append(f(sy.applyAsDouble(y)));
                pen = true;
                if (s.dots()) {
                    sb.append("<circle cx=\"").append(f(sx.applyAsDouble(x))).append("\" cy=\"").append(f(sy.applyAsDouble(y)))
                            .append("\" r=\"3\" fill=\"").append(colour).append("\"/>");
                }
            }
            if (path.length() > 0) {
                sb.append("<path class=\"series\" d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(colour)
                        .append("\" stroke-width=\"1.5\"").append(s.dashed() ? " stroke-dasharray=\"5 3\"" : "").append("/>");
            }
            if (legend) {
                int ly = top + 8 + k * 16;
                int lx = left + pw + 12;
                sb.append("<line x1=\"").append(lx).append("\" y1=\"").append(ly - 4).append("\" x2=\"").append(lx + 18)
                        .append("\" y2=\"").append(ly - 4).append("\" stroke=\"").append(colour).append("\" stroke-width=\"2\"/>");
                sb.append("<text x=\"").append(lx + 22).append("\" y=\"").append(ly).append("\" font-size=\"10\">")
                        .append(escape(shorten(s.name(), 18))).append("</text>");
            }
        }
        return sb.append("</svg>").toString();
    }

    private static double[] logTicks(double lo, double hi) {
        List<Double> t = new ArrayList<>();
        int step = Math.max(1, (int) Math.ceil((hi - lo) / 6));
        for (double e = Math.ceil(lo); e <= hi + 1e-9; e += step) {
            t.add(e);
        }
        if (t.isEmpty()) {
            t.add((lo + hi) / 2);
        }
        return t.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void axes(StringBuilder sb, int left, int top, int pw, int ph) {
        sb.append("<rect x=\"").append(left).append("\" y=\"").append(top).append("\" width=\"").append(pw)
                .append("\" height=\"").append(ph).append("\" fill=\"none\" stroke=\"#333\"/>");
    }

    private static void axisLabels(StringBuilder sb, String xLabel, String yLabel, int left, int top, int pw, int ph) {
        sb.append("<text x=\"").append(left + pw / 2).append("\" y=\"").append(top + ph + 36)
                .append("\" text-anchor=\"middle\" font-size=\"11\">").append(escape(xLabel)).append("</text>");
        int cy = top + ph / 2;
        sb.append("<text x=\"14\" y=\"").append(cy).append("\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 14 ")
                .append(cy).append(")\">").append(escape(yLabel)).append("</text>");
    }

    /**
     * A confusion matrix: actual classes in rows, predicted in columns, each cell shaded by {@code shade} (0..1) and,
     * when cells are big enough to hold it, labelled with {@code text}.
     */
    static String heatmap(String cssClass, String title, List<String> classes, double[][] shade, String[][] text) {
        int n = classes.size();
        int cell = Math.max(14, Math.min(44, 520 / n));
        int labelChars = 0;
        for (String c : classes) {
            labelChars = Math.max(labelChars, Math.min(20, c.length()));
        }
        int labelWidth = (int) Math.ceil(labelChars * 11 * CHAR_WIDTH) + 6;
        int left = 30 + labelWidth;
        int top = 32;
        int grid = cell * n;
        int bottom = labelWidth + 34;
        int w = Math.max(left + grid + 20, 260);
        int h = top + grid + bottom;
        StringBuilder sb = open(cssClass, w, h, title);
        int cellFont = cell >= 40 ? 11 : cell >= 26 ? 9 : 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double v = Math.max(0, Math.min(1, shade[i][j]));
                int r = (int) Math.round(255 - v * (255 - 8));
                int g = (int) Math.round(255 - v * (255 - 48));
                int b = (int) Math.round(255 - v * (255 - 107));
                int x = left + j * cell;
                int y = top + i * cell;
                sb.append("<rect class=\"cell\" x=\"").append(x).append("\" y=\"").append(y).append("\" width=\"").append(cell)
                        .append("\" height=\"").append(cell).append("\" fill=\"rgb(").append(r).append(',').append(g).append(',')
                        .append(b).append(")\" stroke=\"#fff\"><title>").append(escape(classes.get(i) + " taken for "
                                + classes.get(j) + ": " + text[i][j])).append("</title></rect>");
                String t = text[i][j];
                if (cellFont > 0 && t.length() * cellFont * CHAR_WIDTH < cell - 2) {
                    sb.append("<text x=\"").append(x + cell / 2).append("\" y=\"").append(y + cell / 2 + cellFont / 3)
                            .append("\" text-anchor=\"middle\" font-size=\"").append(cellFont).append("\" fill=\"")
                            .append(v > 0.5 ? "#fff" : "#000").append("\">").append(escape(t)).append("</text>");
                }
            }
        }
        int font = Math.min(11, cell - 3);
        for (int i = 0; i < n; i++) {
            String label = escape(shorten(classes.get(i), 20));
            int cy = top + i * cell + cell / 2 + font / 3;
            sb.append("<text x=\"").append(left - 4).append("\" y=\"").append(cy).append("\" text-anchor=\"end\" font-size=\"")
                    .append(font).append("\">").append(label).append("</text>");
            int cx = left + i * cell + cell / 2 + font / 3;
            int ty = top + grid + 4;
            sb.append("<text x=\"").append(cx).append("\" y=\"").append(ty).append("\" text-anchor=\"end\" font-size=\"")
                    .append(font).append("\" transform=\"rotate(-90 ").append(cx).append(' ').append(ty).append(")\">")
                    .append(label).append("</text>");
        }
        sb.append("<text x=\"").append(left + grid / 2).append("\" y=\"").append(h - 8)
                .append("\" text-anchor=\"middle\" font-size=\"11\">Predicted</text>");
        int cy = top + grid / 2;
        sb.append("<text x=\"12\" y=\"").append(cy).append("\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 12 ")
                .append(cy).append(")\">Actual</text>");
        return sb.append("</svg>").toString();
    }

    /** The reliability diagram: accuracy per confidence bin as bars, the diagonal of perfect calibration. */
    static String reliability(Reliability.Bin[] bins, double ece) {
        int left = 64;
        int top = 32;
        int pw = 300;
        int ph = 240;
        int w = left + pw + 20;
        int h = top + ph + 48;
        StringBuilder sb = open("reliability", w, h, "Reliability (ECE " + HtmlReport.number(ece) + ")");
        axes(sb, left, top, pw, ph);
        for (Reliability.Bin b : bins) {
            if (b.count() == 0) {
                continue;
            }
            double x = left + b.lo() * pw;
            double bw = (b.hi() - b.lo()) * pw;
            double bh = b.accuracy() * ph;
            sb.append("<rect class=\"bin\" x=\"").append(f(x)).append("\" y=\"").append(f(top + ph - bh)).append("\" width=\"")
                    .append(f(bw)).append("\" height=\"").append(f(bh)).append("\" fill=\"#1f77b4\" stroke=\"#fff\"><title>")
                    .append(escape("(" + HtmlReport.number(b.lo()) + ", " + HtmlReport.number(b.hi()) + "]: " + b.count()
                            + " images, accuracy " + HtmlReport.number(b.accuracy()) + ", confidence "
                            + HtmlReport.number(b.confidence()))).append("</title></rect>");
            double gap = Math.abs(b.confidence() - b.accuracy()) * ph;
            double gy = top + ph - Math.max(b.confidence(), b.accuracy()) * ph;
            sb.append("<rect class=\"gap\" x=\"").append(f(x + 1)).append("\" y=\"").append(f(gy)).append("\" width=\"")
                    .append(f(bw - 2)).append("\" height=\"").append(f(gap))
                    .append("\" fill=\"#d62728\" fill-opacity=\"0.3\"/>");
        }
        sb.append("<line x1=\"").append(left).append("\" y1=\"").append(top + ph).append("\" x2=\"").append(left + pw)
                .append("\" y2=\"").append(top).append("\" stroke=\"#666\" stroke-dasharray=\"4 3\"/>");
        for (double t : new double[] {0, 0.2, 0.4, 0.6, 0.8, 1}) {
            sb.append("<text x=\"").append(f(left + t * pw)).append("\" y=\"").append(top + ph + 16)
                    .append("\" text-anchor=\"middle\" font-size=\"10\">").append(HtmlReport.number(t)).append("</text>");
            sb.append("<text x=\"").append(left - 6).append("\" y=\"").append(f(top + ph - t * ph + 3))
                    .append("\" text-anchor=\"end\" font-size=\"10\">").append(HtmlReport.number(t)).append("</text>");
        }
        axisLabels(sb, "confidence", "accuracy", left, top, pw, ph);
        return sb.append("</svg>").toString();
    }

    /** A scatter plot, optionally with the line y = x (predicted against actual) or y = 0 (residuals). */
    static String scatter(String cssClass, String title, String xLabel, String yLabel, double[] x, double[] y,
                          boolean diagonal, boolean zeroLine) {
        List<Series> s = new ArrayList<>();
        String svg = lines(cssClass, title, xLabel, yLabel, List.of(new Series("", x, y, false, false)), false, Double.NaN, "");
        // Re-draw as points: the line chart's axes and scale, without its path.
        int cut = svg.indexOf("<path class=\"series\"");
        if (cut < 0) {
            return svg;
        }
        String head = svg.substring(0, cut);
        double xmin = Double.POSITIVE_INFINITY;
        double xmax = Double.NEGATIVE_INFINITY;
        double ymin = Double.POSITIVE_INFINITY;
        double ymax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                xmin = Math.min(xmin, x[i]);
                xmax = Math.max(xmax, x[i]);
                ymin = Math.min(ymin, y[i]);
                ymax = Math.max(ymax, y[i]);
            }
        }
        if (xmax == xmin) {
            xmin -= 0.5;
            xmax += 0.5;
        }
        if (ymax == ymin) {
            ymin -= 0.5;
            ymax += 0.5;
        }
        double pad = (ymax - ymin) * 0.05;
        ymin -= pad;
        ymax += pad;
        int left = 64;
        int top = 32;
        int pw = WIDTH - left - 20;
        int ph = HEIGHT - top - 48;
        StringBuilder sb = new StringBuilder(head);
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                sb.append("<circle class=\"point\" cx=\"").append(f(left + (x[i] - xmin) / (xmax - xmin) * pw))
                        .append("\" cy=\"").append(f(top + ph - (y[i] - ymin) / (ymax - ymin) * ph))
                        .append("\" r=\"2.5\" fill=\"#1f77b4\" fill-opacity=\"0.6\"/>");
            }
        }
        if (diagonal) {
            double lo = Math.max(xmin, ymin);
            double hi = Math.min(xmax, ymax);
            if (hi > lo) {
                sb.append("<line x1=\"").append(f(left + (lo - xmin) / (xmax - xmin) * pw)).append("\" y1=\"")
                        .append(f(top + ph - (lo - ymin) / (ymax - ymin) * ph)).append("\" x2=\"")
                        .append(f(left + (hi - xmin) / (xmax - xmin) * pw)).append("\" y2=\"")
                        .append(f(top + ph - (hi - ymin) / (ymax - ymin) * ph)).append("\" stroke=\"#666\" stroke-dasharray=\"4 3\"/>");
            }
        }
        if (zeroLine && ymin < 0 && ymax > 0) {
            double py = top + ph - (0 - ymin) / (ymax - ymin) * ph;
            sb.append("<line x1=\"").append(left).append("\" y1=\"").append(f(py)).append("\" x2=\"").append(left + pw)
                    .append("\" y2=\"").append(f(py)).append("\" stroke=\"#666\" stroke-dasharray=\"4 3\"/>");
        }
        s.clear();
        return sb.append("</svg>").toString();
    }
}
