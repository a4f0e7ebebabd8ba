package dev.graft.benchmarks.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A little SVG writer: the report draws its charts as inline SVG so the file needs no script library and no network,
 * opens in any browser and survives being mailed around. Every mark can carry a tooltip ({@code <title>}).
 */
final class Svg {
    static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
        "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e6550d", "#637939", "#843c39", "#7b4173", "#3182bd", "#31a354",
        "#756bb1", "#636363", "#fd8d3c"};

    private final StringBuilder b = new StringBuilder();

    Svg(String id, String cssClass, int width, int height, String title) {
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart ").append(cssClass).append('"');
        if (id != null) {
            b.append(" id=\"").append(id).append('"');
        }
        b.append(" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" width=\"").append(width)
            .append("\" height=\"").append(height).append("\" role=\"img\" font-family=\"system-ui, sans-serif\">")
            .append("<title>").append(Fmt.html(title)).append("</title>");
    }

    static String color(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    Svg rect(double x, double y, double w, double h, String fill, String tooltip, String cssClass) {
        b.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(Math.max(0, w)))
            .append("\" height=\"").append(n(Math.max(0, h))).append("\" fill=\"").append(fill).append('"');
        if (cssClass != null) {
            b.append(" class=\"").append(cssClass).append('"');
        }
        return close("rect", tooltip);
    }

    Svg line(double x1, double y1, double x2, double y2, String stroke, double width, String dash) {
        b.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2))
            .append("\" y2=\"").append(n(y2)).append("\" stroke=\"").append(stroke).append("\" stroke-width=\"")
            .append(n(width)).append('"');
        if (dash != null) {
            b.append(" stroke-dasharray=\"").append(dash).append('"');
        }
        b.append("/>");
        return this;
    }

    Svg text(double x, double y, String text, String anchor, int size, String fill) {
        b.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" font-size=\"").append(size)
            .append("\" text-anchor=\"").append(anchor).append("\" fill=\"").append(fill).append("\">")
            .append(Fmt.html(text)).append("</text>");
        return this;
    }

    Svg circle(double cx, double cy, double r, String fill, String tooltip, String cssClass) {
        b.append("<circle cx=\"").append(n(cx)).append("\" cy=\"").append(n(cy)).append("\" r=\"").append(n(r))
            .append("\" fill=\"").append(fill).append('"');
        if (cssClass != null) {
            b.append(" class=\"").append(cssClass).append('"');
        }
        return close("circle", tooltip);
    }

    Svg polyline(List<double[]> points, String stroke, double width) {
        b.append("<polyline fill=\"none\" stroke=\"").append(stroke).append("\" stroke-width=\"").append(n(width))
            .append("\" points=\"");
        for (double[] p : points) {
            b.append(n(p[0])).append(',').append(n(p[1])).append(' ');
        }
        b.append("\"/>");
        return this;
    }

    /** A horizontal axis at {@code y} with ticks and labels. */
    Svg xAxis(Scale scale, double y, double x0, double x1, String label, double gridTop) {
        line(x0, y, x1, y, "#333", 1, null);
        for (double t : scale.ticks()) {
            double x = scale.map(t);
            if (gridTop < y) {
                line(x, gridTop, x, y, "#e4e4e4", 1, null);
            }
            line(x, y, x, y + 4, "#333", 1, null);
            text(x, y + 16, Scale.label(t), "middle", 11, "#333");
        }
        if (label != null) {
            text((x0 + x1) / 2, y + 34, label, "middle", 12, "#333");
        }
        return this;
    }

    /** A vertical axis at {@code x} with ticks, labels and horizontal grid lines to {@code gridRight}. */
    Svg yAxis(Scale scale, double x, double y0, double y1, String label, double gridRight) {
        line(x, y0, x, y1, "#333", 1, null);
        for (double t : scale.ticks()) {
            double y = scale.map(t);
            line(x, y, gridRight, y, "#e4e4e4", 1, null);
            line(x - 4, y, x, y, "#333", 1, null);
            text(x - 6, y + 4, Scale.label(t), "end", 11, "#333");
        }
        if (label != null) {
            b.append("<text x=\"0\" y=\"0\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\" transform=\"translate(")
                .append(n(x - 48)).append(',').append(n((y0 + y1) / 2)).append(") rotate(-90)\">").append(Fmt.html(label))
                .append("</text>");
        }
        return this;
    }

    String end() {
        return b.append("</svg>").toString();
    }

    private Svg close(String tag, String tooltip) {
        if (tooltip == null) {
            b.append("/>");
        } else {
            b.append("><title>").append(Fmt.html(tooltip)).append("</title></").append(tag).append('>');
        }
        return this;
    }

    private static String n(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** Maps data values to pixels, linearly or logarithmically, with readable ticks. */
    static final class Scale {
        private final double lo;
        private final double hi;
        private final double p0;
        private final double p1;
        private final boolean log;
        private final double minStep;

        private Scale(double lo, double hi, double p0, double p1, boolean log) {
            this(lo, hi, p0, p1, log, 0);
        }

        private Scale(double lo, double hi, double p0, double p1, boolean log, double minStep) {
            this.lo = lo;
            this.hi = hi;
            this.p0 = p0;
            this.p1 = p1;
            this.log = log;
            this.minStep = minStep;
        }

        /** Linear from 0 for counts: whole-number ticks only. */
        static Scale counts(int max, double p0, double p1) {
            double step = Math.max(1, niceStep(max / 5.0));
            return new Scale(0, Math.max(1, Math.ceil(max / step) * step), p0, p1, false, 1);
        }

        /** Linear from {@code lo} to a rounded-up {@code hi}. */
        static Scale linear(double lo, double hi, double p0, double p1) {
            if (!(hi > lo)) {
                hi = lo + 1;
            }
            double step = niceStep((hi - lo) / 5);
            return new Scale(lo, Math.ceil(hi / step) * step, p0, p1, false);
        }

        /** Linear over exactly [lo, hi] (ticks fall inside), for axes whose ends are data. */
        static Scale linearExact(double lo, double hi, double p0, double p1) {
            return new Scale(lo, hi > lo ? hi : lo + 1, p0, p1, false);
        }

        /** Logarithmic over [lo, hi] widened to whole 1-2-5 steps; both must be positive. */
        static Scale log(double lo, double hi, double p0, double p1) {
            double base = Math.pow(10, Math.floor(Math.log10(lo)));
            double l = base * 5 <= lo ? base * 5 : base * 2 <= lo ? base * 2 : base;
            double top = Math.pow(10, Math.floor(Math.log10(hi)));
            double h = hi <= top ? top : hi <= top * 2 ? top * 2 : hi <= top * 5 ? top * 5 : top * 10;
            return new Scale(l, h, p0, p1, true);
        }

        double map(double v) {
            double t = log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
                : (v - lo) / (hi - lo);
            return p0 + t * (p1 - p0);
        }

        double hi() {
            return hi;
        }

        List<Double> ticks() {
            List<Double> out = new ArrayList<>();
            if (log) {
                for (double d = Math.pow(10, Math.floor(Math.log10(lo))); d <= hi * 1.0001; d *= 10) {
                    for (double m : new double[] {1, 2, 5}) {
                        double v = d * m;
                        if (v >= lo * 0.9999 && v <= hi * 1.0001) {
                            out.add(v);
                        }
                    }
                }
            } else {
                double step = Math.max(minStep, niceStep((hi - lo) / 5));
                for (double v = Math.ceil(lo / step) * step; v <= hi + step * 1e-6; v += step) {
                    out.add(Math.abs(v) < step * 1e-9 ? 0 : v);
                }
            }
            return out;
        }

        static double niceStep(double raw) {
            if (!(raw > 0)) {
                return 1;
            }
            double e = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / e;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
        }

        static String label(double v) {
            if (v == Math.rint(v) && Math.abs(v) < 1e9) {
                return Long.toString((long) v);
            }
            return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
        }
    }
}
