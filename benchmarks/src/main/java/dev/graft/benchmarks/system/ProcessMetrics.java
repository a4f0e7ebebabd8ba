package dev.graft.benchmarks.system;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What the benchmark process costs the machine: CPU time, peak resident memory, and the load other processes put on
 * the machine while it ran.
 *
 * <p>Peak memory is Linux's {@code VmHWM} ("high water mark" of the resident set) from {@code /proc/self/status}, the
 * same figure as ONNX Runtime's perf_test "Peak working set size" on Linux. It is reset per configuration by writing
 * {@code 5} to {@code /proc/self/clear_refs} (Linux 4.0+), so each configuration reports its own peak rather than the
 * largest so far; where the reset is refused the figure is the process's peak since start, which
 * {@link #peakResetWorks()} tells. It includes the JVM's heap and every native engine in the process.
 */
public final class ProcessMetrics {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
    private static final Path LOADAVG = Path.of("/proc/loadavg");

    private ProcessMetrics() {
    }

    /** CPU time used by the whole process so far (all threads, user + system), in nanoseconds; -1 if unknown. */
    public static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** The peak resident set size in bytes ({@code VmHWM}), or -1 where {@code /proc} is not there. */
    public static long peakRssBytes() {
        return statusKb("VmHWM:");
    }

    /** The current resident set size in bytes ({@code VmRSS}), or -1. */
    public static long rssBytes() {
        return statusKb("VmRSS:");
    }

    /**
     * Resets the peak resident set size to the current one, so the next {@link #peakRssBytes()} covers only what
     * follows.
     *
     * @return whether the kernel accepted the reset
     */
    public static boolean resetPeakRss() {
        try {
            Files.writeString(CLEAR_REFS, "5", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
            return true;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Whether per-configuration peaks are possible here (see {@link #resetPeakRss()}). */
    public static boolean peakResetWorks() {
        return resetPeakRss();
    }

    /** The one-minute load average of the machine, or -1: how busy the machine was, other processes included. */
    public static double loadAverage() {
        try {
            String[] f = Files.readString(LOADAVG, StandardCharsets.US_ASCII).strip().split("\\s+");
            return Double.parseDouble(f[0]);
        } catch (IOException | RuntimeException e) {
            double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return load < 0 ? -1 : load;
        }
    }

    private static long statusKb(String key) {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith(key)) {
                    String[] f = line.substring(key.length()).strip().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }
}
