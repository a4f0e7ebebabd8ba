package dev.graft.trainer.learner;

import dev.graft.files.FileRefusedException;
import dev.graft.files.OutputFile;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * lr_find's curve as a self-contained SVG: smoothed loss against the learning rate on a log axis, with the suggested
 * (valley) learning rate marked, the picture fastai's {@code lr_find()} plots. People choose a learning rate by eye,
 * so the curve is saved rather than only the number.
 */
public final class LrFindPlot {
    private static final int W = 640;
    private static final int H = 400;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private LrFindPlot() {
    }

    /** The SVG text for {@code result}. */
    public static String svg(LrFind result) {
        List<Double> lrs = result.lrs();
        List<Double> losses = result.losses();
        int n = Math.min(lrs.size(), losses.size());
        if (n < 2) {
            throw new GraftException("lr_find stopped after " + n + " step(s); nothing to plot");
        }
        double xLo = Math.log10(lrs.get(0));
        double xHi = Math.log10(lrs.get(n - 1));
        if (xHi <= xLo) {
            xHi = xLo + 1;
        }
        // fastai's plot skips the first and last few points; clip the y range to the finite losses seen before the end
        double yLo = Double.POSITIVE_INFINITY;
        double yHi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double v = losses.get(i);
            if (Double.isFinite(v)) {
                yLo = Math.min(yLo, v);
                yHi = Math.max(yHi, v);
            }
        }
        double first = losses.get(0);
        if (Double.isFinite(first) && yHi > 2 * first && first > yLo) {
            yHi = first + (first - yLo); // a diverged tail would flatten the interesting part
        }
        if (!(yHi > yLo)) {
            yHi = yLo + 1;
        }
        double pw = W - LEFT - RIGHT;
        double ph = H - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">lr_find: suggested learning rate"
            + " (valley) %s</text>%n", LEFT, fmt(result.valley())));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
            + "stroke=\"#999\"/>%n", LEFT, TOP, pw, ph));
        for (int e = (int) Math.ceil(xLo); e <= Math.floor(xHi); e++) {
            double x = LEFT + (e - xLo) / (xHi - xLo) * pw;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#eee\"/>"
                + "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">1e%d</text>%n", x, TOP, x, TOP + ph, x,
                TOP + ph + 16, e));
        }
        for (int k = 0; k <= 4; k++) {
            double v = yLo + (yHi - yLo) * k / 4;
            double y = TOP + ph - (v - yLo) / (yHi - yLo) * ph;
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>%n",
                LEFT - 6, y + 4, v));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">learning rate (log "
            + "scale)</text>%n", LEFT + pw / 2, H - 10));
        sb.append(String.format(Locale.ROOT, "<text transform=\"translate(16 %.0f) rotate(-90)\" text-anchor=\"middle\">"
            + "smoothed loss</text>%n", TOP + ph / 2));
        sb.append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
        for (int i = 0; i < n; i++) {
            double v = losses.get(i);
            if (!Double.isFinite(v)) {
                break;
            }
            double x = LEFT + (Math.log10(lrs.get(i)) - xLo) / (xHi - xLo) * pw;
            double y = TOP + ph - (Math.min(Math.max(v, yLo), yHi) - yLo) / (yHi - yLo) * ph;
            sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        sb.append("\"/>\n");
        double vx = LEFT + (Math.log10(result.valley()) - xLo) / (xHi - xLo) * pw;
        sb.append(String.format(Locale.ROOT, "<line id=\"valley\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" "
            + "stroke=\"#d62728\" stroke-dasharray=\"5 4\"/>%n", vx, TOP, vx, TOP + ph));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#d62728\" text-anchor=\"middle\">valley "
            + "%s</text>%n", vx, TOP - 4, fmt(result.valley())));
        sb.append("</svg>\n");
        return sb.toString();
    }

    /**
     * Writes {@link #svg} to {@code target} through {@link OutputFile} (a temporary, then a rename), creating its
     * folder if needed; a device, FIFO, folder, symbolic link or one of {@code inputs} at {@code target} is refused.
     */
    public static void write(LrFind result, Path target, Path... inputs) {
        String text = svg(result);
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            OutputFile.of(target, "the learning-rate plot", inputs).writeString(text);
        } catch (IOException e) {
            throw new GraftException(e instanceof FileRefusedException || e.getMessage().startsWith("cannot write")
                    ? e.getMessage() : "cannot write the learning-rate plot to " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks, before the learning-rate search, that {@link #write} could write {@code target} (a folder that does not
     * exist yet is created then).
     *
     * @throws GraftException if it could not
     */
    public static void checkTarget(Path target, Path... inputs) {
        if (!Files.isDirectory(target.toAbsolutePath().getParent())) {
            return;
        }
        try {
            OutputFile.of(target, "the learning-rate plot", inputs);
        } catch (IOException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2e", v);
    }
}
