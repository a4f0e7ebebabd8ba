package dev.graft.benchmarks.system;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The machine a benchmark ran on, recorded with every result: a latency means nothing without the CPU, the core count,
 * the runtime versions and the GPU it was measured with, and results from several machines are only comparable when
 * each carries its own.
 *
 * @param host the host name (the default label of a run)
 * @param cpuModel the CPU's model name from {@code /proc/cpuinfo} (or {@code os.arch} elsewhere)
 * @param cores logical processors the JVM may use
 * @param memoryBytes physical memory
 * @param os operating system name, version and architecture
 * @param jvm JVM name and version
 * @param onnxRuntime ONNX Runtime's native version, or null when it was not loaded
 * @param djl DJL's version, or null when DJL was not used
 * @param pytorch the PyTorch native version DJL loaded, or null when it was not loaded
 * @param gpus GPUs reported by {@code nvidia-smi}; empty when there are none or no driver
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MachineInfo(String host, String cpuModel, int cores, long memoryBytes, String os, String jvm,
                          String onnxRuntime, String djl, String pytorch, List<Gpu> gpus) {

    public MachineInfo {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }

    /**
     * A GPU as the NVIDIA driver describes it.
     *
     * @param name the product name
     * @param driver the driver version
     * @param memoryMiB total memory in MiB
     */
    public record Gpu(String name, String driver, long memoryMiB) {
    }

    /** This machine, with the runtime versions given (null for engines that were not loaded). */
    public static MachineInfo detect(String onnxRuntime, String djl, String pytorch) {
        return new MachineInfo(hostName(), detectCpuModel(), Runtime.getRuntime().availableProcessors(), detectMemoryBytes(),
            System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
            System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
            onnxRuntime, djl, pytorch, detectGpus());
    }

    static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    static String detectCpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    String key = line.substring(0, colon).strip();
                    if (key.equals("model name") || key.equals("Model") || key.equals("Hardware")) {
                        return line.substring(colon + 1).strip();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no permission: fall through to the architecture
        }
        return System.getProperty("os.arch");
    }

    static long detectMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    /** GPUs from {@code nvidia-smi}; no driver, no tool or a timeout all mean none. */
    static List<Gpu> detectGpus() {
        List<Gpu> out = new ArrayList<>();
        for (String line : nvidiaSmi("--query-gpu=name,driver_version,memory.total", "--format=csv,noheader,nounits")) {
            String[] f = line.split(",");
            if (f.length >= 3) {
                long mem;
                try {
                    mem = Long.parseLong(f[2].strip());
                } catch (NumberFormatException e) {
                    mem = -1;
                }
                out.add(new Gpu(f[0].strip(), f[1].strip(), mem));
            }
        }
        return out;
    }

    private static List<String> nvidiaSmi(String... args) {
        List<String> command = new ArrayList<>();
        command.add("nvidia-smi");
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] bytes;
            try (InputStream in = p.getInputStream()) {
                bytes = in.readAllBytes();
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return List.of();
            }
            if (p.exitValue() != 0) {
                return List.of();
            }
            return new String(bytes, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}
