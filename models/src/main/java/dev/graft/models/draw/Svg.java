package dev.graft.models.draw;

import java.util.Locale;

/**
 * The little SVG writing the drawing needs: escaped text, a few shapes, and width estimates to keep text in its box.
 *
 * <p>Hand-written because the drawing is a few dozen elements and the models module carries no XML or graphics
 * dependency; everything written goes through {@link #esc(String)}.
 */
final class Svg {
    /** Average advance of DejaVu Sans / Helvetica / Arial per em, a little generous so estimates err on the safe side. */
    private static final double SANS_EM = 0.58;
    private static final double BOLD_EM = 0.64;
    private static final double MONO_EM = 0.61;

    private final StringBuilder sb = new StringBuilder(16_384);

    Svg raw(String s) {
        sb.append(s);
        return this;
    }

    Svg line(String s) {
        sb.append(s).append('\n');
        return this;
    }

    Svg rect(double x, double y, double w, double h, double r, String attrs) {
        return line("<rect x=\"" + n(x) + "\" y=\"" + n(y) + "\" width=\"" + n(w) + "\" height=\"" + n(h) + "\""
            + (r > 0 ? " rx=\"" + n(r) + "\"" : "") + " " + attrs + "/>");
    }

    Svg segment(double x1, double y1, double x2, double y2, String attrs) {
        return line("<line x1=\"" + n(x1) + "\" y1=\"" + n(y1) + "\" x2=\"" + n(x2) + "\" y2=\"" + n(y2) + "\" "
            + attrs + "/>");
    }

    /** A text element ({@code anchor}: start, middle or end); nothing for empty text. */
    Svg text(double x, double y, String cls, String anchor, String content) {
        if (content.isEmpty()) {
            return this;
        }
        return line("<text x=\"" + n(x) + "\" y=\"" + n(y) + "\" class=\"" + cls + "\""
            + ("start".equals(anchor) ? "" : " text-anchor=\"" + anchor + "\"") + ">" + esc(content) + "</text>");
    }

    Svg open(String tag, String attrs) {
        return line("<" + tag + (attrs.isEmpty() ? "" : " " + attrs) + ">");
    }

    Svg close(String tag) {
        return line("</" + tag + ">");
    }

    /** A tooltip for the enclosing element. */
    Svg title(String text) {
        return line("<title>" + esc(text) + "</title>");
    }

    @Override
    public String toString() {
        return sb.toString();
    }

    /** Escapes text and attribute values for XML, dropping characters XML 1.0 cannot hold. */
    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> {
                    if (c >= 0x20 || c == '\n' || c == '\t') {
                        if (c != 0xFFFE && c != 0xFFFF) {
                            out.append(c);
                        }
                    } else if (c == '\r') {
                        out.append(' ');
                    }
                }
            }
        }
        return out.toString();
    }

    /** Attribute-safe id: letters, digits, dots, dashes and underscores only. */
    static String id(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    static String n(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** Estimated width of {@code text} in pixels. */
    static double width(String text, double fontSize, Font font) {
        double em = switch (font) {
            case SANS -> SANS_EM;
            case BOLD -> BOLD_EM;
            case MONO -> MONO_EM;
        };
        return text.codePointCount(0, text.length()) * fontSize * em;
    }

    /** {@code text}, shortened with an ellipsis when its estimated width exceeds {@code maxWidth}. */
    static String fit(String text, double maxWidth, double fontSize, Font font) {
        if (width(text, fontSize, font) <= maxWidth) {
            return text;
        }
        int keep = text.length();
        while (keep > 1 && width(text.substring(0, keep) + "…", fontSize, font) > maxWidth) {
            keep--;
        }
        if (keep > 0 && Character.isHighSurrogate(text.charAt(keep - 1))) {
            keep--;
        }
        return text.substring(0, keep).stripTrailing() + "…";
    }

    /** Splits {@code text} at spaces into lines no wider than {@code maxWidth}. */
    static java.util.List<String> wrap(String text, double maxWidth, double fontSize, Font font) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String word : text.split(" ")) {
            String candidate = current.length() == 0 ? word : current + " " + word;
            if (current.length() > 0 && width(candidate, fontSize, font) > maxWidth) {
                lines.add(current.toString());
                current = new StringBuilder(word);
            } else {
                current = new StringBuilder(candidate);
            }
        }
        if (current.length() > 0) {
            lines.add(current.toString());
        }
        return lines;
    }

    enum Font { SANS, BOLD, MONO }
}
