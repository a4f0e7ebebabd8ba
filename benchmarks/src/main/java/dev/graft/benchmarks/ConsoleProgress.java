package dev.graft.benchmarks;

import dev.graft.benchmarks.result.BenchConfig;
import dev.graft.benchmarks.result.ConfigResult;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar per configuration on a console stream, left as one finished line each ("[3/8] ort cpu t2 b1 ...
 * P50 4.21 ms"), so a long run shows where it is and leaves a readable log.
 */
public final class ConsoleProgress implements BenchListener {
    private final PrintStream out;
    private final boolean ascii;
    private ProgressBar bar;
    private String name;

    /**
     * @param out where the bars go (standard error for a command line)
     * @param ascii plain ASCII bars, for logs and terminals without Unicode blocks
     */
    public ConsoleProgress(PrintStream out, boolean ascii) {
        this.out = out;
        this.ascii = ascii;
    }

    @Override
    public void started(BenchConfig config, int index, int total, long steps) {
        name = "[" + index + "/" + total + "] " + config.label();
        if (steps > 0) {
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(steps)
                .setStyle(ascii ? ProgressBarStyle.ASCII : ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setConsumer(new ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(250).hideEta()
                .build();
        }
    }

    @Override
    public void progress(long done) {
        if (bar != null) {
            bar.stepTo(Math.min(done, bar.getMax()));
        }
    }

    @Override
    public void finished(ConfigResult result) {
        if (bar != null) {
            if (result.ok()) {
                bar.stepTo(bar.getMax());
                bar.setExtraMessage(String.format(Locale.ROOT, " P50 %.2f ms", result.latencyMs().p50()));
            } else {
                bar.setExtraMessage(" " + result.status());
            }
            bar.close();
            bar = null;
        }
        if (!result.ok()) {
            out.println(name + ": " + result.status() + ": " + result.reason());
        }
        out.flush();
    }

    @Override
    public void note(String message) {
        out.println("note: " + message);
        out.flush();
    }
}
