package dev.graft.trainer.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PyTorch's own log threshold for a command-line run, so that the engine's known-harmless warnings stay out of the
 * user's terminal: the NNPACK line PyTorch 2.7 logs on every eligible convolution where NNPACK cannot start (about a
 * thousand lines in one benchmark), and its one-time deprecation notices.
 *
 * <p>PyTorch reads its documented {@code TORCH_CPP_LOG_LEVEL} variable only in {@code c10::initLogging()}, which its
 * Python module calls at import and libtorch alone (DJL's engine) never does; so the variable had no effect here.
 * {@link #apply()} does what {@code import torch} does: it calls {@code c10::initLogging()} when the variable is set (the
 * user's choice, e.g. {@code INFO} to see everything), and otherwise sets the threshold to {@code ERROR}, the level
 * the {@code graft} launcher asks for. Errors are untouched: a failed engine operation is a C++ exception that reaches
 * Java as an {@code EngineException} (and the user as one line), not a log line, and {@code LOG(ERROR)} still prints.
 *
 * <p>Only the command line calls this; a library user's process keeps PyTorch's defaults. Where the symbols are missing
 * (another platform or PyTorch build) nothing changes and the reason is logged at debug level.
 */
public final class EngineLog {
    private static final Logger LOG = LoggerFactory.getLogger(EngineLog.class);
    /** c10's severity numbers: INFO 0, WARNING 1, ERROR 2, FATAL 3. */
    static final int ERROR = 2;
    private static boolean applied;

    private EngineLog() {
    }

    /** Loads the PyTorch engine if needed and sets its log threshold (once per process). */
    public static synchronized void apply() {
        if (applied) {
            return;
        }
        applied = true;
        try {
            Engine.getEngine("PyTorch");
            NativeLibrary c10 = NativeLibrary.getInstance(
                    Path.of(LibUtils.getLibtorchPath(), System.mapLibraryName("c10")).toString());
            String requested = System.getenv("TORCH_CPP_LOG_LEVEL");
            if (requested != null && !requested.isBlank()) {
                c10.getFunction("_ZN3c1011initLoggingEv").invokeVoid(new Object[0]);
            } else {
                c10.getGlobalVariableAddress("FLAGS_caffe2_log_level").setInt(0, ERROR);
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("PyTorch's log threshold left as it is: {}", e.toString());
        }
    }

    /** PyTorch's current log threshold (c10's severity number), or -1 where it cannot be read. */
    public static int threshold() {
        try {
            NativeLibrary c10 = NativeLibrary.getInstance(
                    Path.of(LibUtils.getLibtorchPath(), System.mapLibraryName("c10")).toString());
            return c10.getGlobalVariableAddress("FLAGS_caffe2_log_level").getInt(0);
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }
}
