package dev.graft.benchmarks.report;

import java.util.Locale;

/** Number and text formatting shared by the report formats. */
final class Fmt {
    private Fmt() {
    }

    /** About three significant figures, never scientific: 0.123, 1.23, 12.3, 123, 1234. */
    static String num(Double v) {
        if (v == null || v.isNaN()) {
            return "";
        }
        double a = Math.abs(v);
        String f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, f, v);
    }

    static String num(Long v) {
        return v == null ? "" : Long.toString(v);
    }

    static String mb(Long bytes) {
        return bytes == null ? "" : String.format(Locale.ROOT, "%.0f", bytes / 1048576.0);
    }

    static String html(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
