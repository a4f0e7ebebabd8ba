package dev.graft.edge;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.files.TemporaryFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
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

    /** A model to open: a file ONNX Runtime reads itself, or bytes already in memory. */
    record Source(String name, Path path, byte[] bytes, long size) {
        OrtSession createSession(OrtEnvironment env, OrtSession.SessionOptions so) throws OrtException {
            return path != null ? env.createSession(path.toString(), so) : env.createSession(bytes, so);
        }

        byte[] sha256() throws IOException {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                if (bytes != null) {
                    return md.digest(bytes);
                }
                try (InputStream in = new DigestInputStream(Files.newInputStream(path), md)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                return md.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }
    }

    static EdgeModel.Opened open(OrtEnvironment env, Source model, EdgeOptions options) {
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
                    return new EdgeModel.Opened(create(env, model, options, so, wanted), so, wanted, null);
                } catch (OrtException | EdgeException | LinkageError e) {
                    so.close();
                    why = "CUDA device " + wanted.index() + " could not be started: " + EdgeException.oneLine(e);
                }
            }
            note = "device " + requested + " requested but " + why + "; running on the CPU";
            if (options.logNotes()) {
                EdgeModel.logOnce(auto ? "info" : "warn", note);
            }
        }
        OrtSession.SessionOptions so = baseOptions(options);
        try {
            return new EdgeModel.Opened(create(env, model, options, so, Device.CPU), so, Device.CPU, note);
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
            if (!options.spinning()) {
                so.addConfigEntry("session.intra_op.allow_spinning", "0");
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
    private static OrtSession create(OrtEnvironment env, Source model, EdgeOptions options,
            OrtSession.SessionOptions so, Device device) throws EdgeException {
        Path dir = options.optimizedModelCache().orElse(null);
        if (dir == null || options.optimization() == EdgeOptions.Optimization.NONE) {
            return session(env, model, so);
        }
        Path cached;
        try {
            cached = dir.resolve(cacheName(model.sha256(), options, device, env.getVersion()));
        } catch (IOException e) {
            throw new EdgeException("cannot read the model " + model.name() + ": " + EdgeModel.ioReason(e), e);
        }
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
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            EdgeModel.logOnce("warn", "cannot use the optimised-model cache " + dir + " ("
                    + EdgeException.oneLine(e) + "); loading without it");
            return session(env, model, so);
        }
        // A locked hidden temporary: one a killed process left behind is removed by the next load of this entry.
        try (TemporaryFile temp = TemporaryFile.beside(cached)) {
            // ONNX Runtime warns that a layout-optimised graph is specific to this machine: so is the cache.
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            so.setOptimizedModelFilePath(temp.path().toString()); // last: nothing after it can fail before the session
            OrtSession s = session(env, model, so);
            try {
                temp.commit();
            } catch (AtomicMoveNotSupportedException e) {
                EdgeModel.logOnce("warn", "the optimised-model cache " + dir + " cannot replace files atomically;"
                        + " not caching");
            } catch (IOException e) {
                EdgeModel.logOnce("warn", "cannot store in the optimised-model cache " + dir + " ("
                        + EdgeException.oneLine(e) + "); the model is loaded, only not cached");
            }
            return s;
        } catch (IOException | OrtException e) {
            EdgeModel.logOnce("warn", "cannot use the optimised-model cache " + dir + " ("
                    + EdgeException.oneLine(e) + "); loading without it");
            return session(env, model, so);
        }
    }

    static String cacheName(byte[] sha256, EdgeOptions options, Device device, String ortVersion) {
        return HexFormat.of().formatHex(sha256, 0, 16) + "-" + options.optimization().name().toLowerCase(Locale.ROOT)
                + "-" + device.toString().replace(":", "") + "-ort" + ortVersion + ".onnx";
    }

    private static OrtSession session(OrtEnvironment env, Source model, OrtSession.SessionOptions so) {
        String name = model.name();
        try {
            return model.createSession(env, so);
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
