package dev.graft.benchmarks.engine;

import dev.graft.models.GraftException;
import java.util.Locale;

/** Device names as the command line takes them: {@code cpu}, {@code cuda}, {@code cuda:N}. */
public final class Devices {
    private Devices() {
    }

    /** The normalised device name; {@code cuda} means {@code cuda:0}. */
    public static String normalise(String device) {
        String d = device.strip().toLowerCase(Locale.ROOT);
        if (d.equals("cpu")) {
            return d;
        }
        if (d.equals("cuda") || d.equals("gpu")) {
            return "cuda:0";
        }
        if (d.startsWith("cuda:")) {
            try {
                int index = Integer.parseInt(d.substring(5));
                if (index >= 0) {
                    return "cuda:" + index;
                }
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new GraftException("unknown device '" + device + "' (cpu, cuda or cuda:N)");
    }

    /** Whether the (normalised) device is a CUDA GPU. */
    public static boolean isCuda(String device) {
        return device.startsWith("cuda");
    }

    /** The GPU index of a normalised CUDA device. */
    public static int cudaIndex(String device) {
        return Integer.parseInt(device.substring(device.indexOf(':') + 1));
    }
}
