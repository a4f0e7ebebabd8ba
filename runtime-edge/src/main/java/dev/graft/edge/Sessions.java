package dev.graft.edge;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Opens ONNX Runtime sessions: the device choice with its CPU fallback, and the optimised-model cache.
 *
 * <p>Falling back rather than failing is deliberate: an application shipped with {@code device=auto} must keep working
 * on a machine without a GPU. The fallback is never silent, though: the reason is logged once per process and kept on
 * the model, because a CPU latency reported as a GPU one is a worse bug than an exception.
 */
final class Sessions {
    /** What the fallback message recommends when the CPU build of ONNX Runtime is on the class path. */
    static final String NO_CUDA_PROVIDER = "this ONNX Runtime build has no CUDA provider (the CPU artifact"
            + " com.microsoft.onnxruntime:onnxruntime is on the class path; build with -Pcuda for onnxruntime_gpu,"
            + " which needs CUDA 12 and cuDNN 9)";

    private Sessions() {
    }

    static EdgeModel.Opened open(OrtEnvironment env, byte[] model, String name, EdgeOptions options) {
        String requested = options.device();
        boolean auto = requested.equals("auto");
        Device wanted = auto ? Device.cuda(0) : Device.parse(requested);
        String note = null;
        if (wanted.type() == Device.Type.CUDA) {
            String why;
            if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
                why = NO_CUDA_PROVIDER;
            } else {
                OrtSession.SessionOptions so = baseOptions(options);
                try {
                    so.addCUDA(wanted.index());
                    return new EdgeModel.Opened(create(env, model, name, options, so, wanted), so, wanted, null);
                } catch (OrtException | EdgeException | LinkageError e) {
                    so.close();
                    why = "CUDA device " + wanted.index() + " could not be started: " + EdgeException.oneLine(e);
                }
            }
            note = "device " + requested + " requested but " + why + "; running on the CPU";
            EdgeModel.logOnce(auto ? "info" : "warn", note);
        }
        OrtSession.SessionOptions so = baseOptions(options);
        try {
            return new EdgeModel.Opened(create(env, model, name, options, so, Device.CPU), so, Device.CPU, note);
        } catch (RuntimeException e) {
            so.close();
            throw e;
        }
    }

    private static OrtSession.SessionOptions baseOptions(EdgeOptions options) {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setOptimizationLevel(level(options.optimization()));
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            return so;
        } catch (OrtException e) {
            so.close();
            throw new EdgeException("ONNX Runtime rejected the session options: " + EdgeException.oneLine(e), e);
        }
    }

    static OptLevel level(EdgeOptions.Optimization o) {
        return switch (o) {
            case NONE -> OptLevel.NO_OPT;
            case BASIC -> OptLevel.BASIC_OPT;
            case EXTENDED -> OptLevel.EXTENDED_OPT;
            case ALL -> OptLevel.ALL_OPT;
        };
    }

    /** A session from the cache when there is one, else from the model (filling the cache). */
    private static OrtSession create(OrtEnvironment env, byte[] model, String name, EdgeOptions options,
            OrtSession.SessionOptions so, Device device) throws EdgeException {
        Path dir = options.optimizedModelCache().orElse(null);
        if (dir == null || options.optimization() == EdgeOptions.Optimization.NONE) {
            return session(env, model, name, so);
        }
        Path cached = dir.resolve(cacheName(model, options, device, env.getVersion()));
        if (Files.isRegularFile(cached)) {
            try {
                // The cached graph is already optimised; ONNX Runtime recommends loading it with optimisation off.
                so.setOptimizationLevel(OptLevel.NO_OPT);
                return env.createSession(cached.toString(), so);
            } catch (OrtException e) {
                EdgeModel.logOnce("warn", "the cached optimised model " + cached + " is unusable ("
                        + EdgeException.oneLine(e) + "); rebuilding it");
                try {
                    so.setOptimizationLevel(level(options.optimization()));
                    Files.deleteIfExists(cached);
                } catch (OrtException | IOException ignored) {
                    // rebuilt below either way
                }
            }
        }
        Path temp = null;
        try {
            Files.createDirectories(dir);
            temp = Files.createTempFile(dir, "." + cached.getFileName(), ".tmp");
            so.setOptimizedModelFilePath(temp.toString());
            // ONNX Runtime warns that a layout-optimised graph is specific to this machine: so is the cache.
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            OrtSession s = session(env, model, name, so);
            try {
                Files.move(temp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                temp = null;
            } catch (AtomicMoveNotSupportedException e) {
                EdgeModel.logOnce("warn", "the optimised-model cache " + dir + " cannot replace files atomically;"
                        + " not caching");
            }
            return s;
        } catch (IOException | OrtException e) {
            EdgeModel.logOnce("warn", "cannot use the optimised-model cache " + dir + " ("
                    + EdgeException.oneLine(e) + "); loading without it");
            return session(env, model, name, so);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // a stray temp file in a cache folder is harmless
                }
            }
        }
    }

    static String cacheName(byte[] model, EdgeOptions options, Device device, String ortVersion) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(model);
            return HexFormat.of().formatHex(digest, 0, 16) + "-" + options.optimization().name().toLowerCase(Locale.ROOT)
                    + "-" + device.toString().replace(":", "") + "-ort" + ortVersion + ".onnx";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static OrtSession session(OrtEnvironment env, byte[] model, String name, OrtSession.SessionOptions so) {
        try {
            return env.createSession(model, so);
        } catch (OrtException e) {
            String why = EdgeException.oneLine(e);
            if (why.contains("Protobuf parsing failed") || why.contains("No graph was found")
                    || why.contains("INVALID_PROTOBUF")) {
                throw new EdgeException(name + " is not an ONNX model (ONNX Runtime: " + why + ")", e);
            }
            throw new EdgeException("ONNX Runtime cannot load " + name + ": " + why, e);
        }
    }
}
