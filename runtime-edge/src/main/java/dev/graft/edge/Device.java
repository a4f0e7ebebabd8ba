package dev.graft.edge;

import java.util.Locale;
import java.util.Objects;

/**
 * Where a model's graph actually runs: the CPU or one CUDA device.
 *
 * <p>What was asked for ({@code auto}, {@code cuda:1}) and what runs can differ, since CUDA needs the GPU build of
 * ONNX Runtime, a driver, CUDA 12 and cuDNN 9; {@link EdgeModel#device()} reports the latter so that a latency figure is
 * never attributed to the wrong device.
 *
 * @param type the kind of device
 * @param index the CUDA device number; 0 for the CPU
 */
public record Device(Type type, int index) {
    /** The CPU, through ONNX Runtime's default execution provider. */
    public static final Device CPU = new Device(Type.CPU, 0);

    /** The kinds of device runtime-edge can run on. */
    public enum Type {
        CPU,
        CUDA
    }

    public Device {
        Objects.requireNonNull(type, "type");
        if (index < 0 || (type == Type.CPU && index != 0)) {
            throw new IllegalArgumentException("bad device index " + index + " for " + type);
        }
    }

    /** CUDA device {@code index}. */
    public static Device cuda(int index) {
        return new Device(Type.CUDA, index);
    }

    /** {@code cpu} or {@code cuda:N}, the form the options and the command line take. */
    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }

    /** Parses {@code cpu}, {@code cuda} or {@code cuda:N}. */
    static Device parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) {
            return CPU;
        }
        if (t.equals("cuda")) {
            return cuda(0);
        }
        if (t.startsWith("cuda:")) {
            try {
                int index = Integer.parseInt(t.substring(5));
                if (index >= 0) {
                    return cuda(index);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new EdgeException("unknown device '" + text + "'; use auto, cpu, cuda or cuda:N");
    }
}
