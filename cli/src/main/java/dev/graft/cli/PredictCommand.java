package dev.graft.cli;

import dev.graft.edge.BadInputException;
import dev.graft.edge.EdgeException;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.edge.ImageTooLargeException;
import dev.graft.edge.LabelScore;
import dev.graft.edge.NonFiniteOutputException;
import dev.graft.edge.Prediction;
import dev.graft.edge.Task;
import dev.graft.models.GraftException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code graft predict}: an exported model's answer for image files, through runtime-edge exactly as an application
 * embedding it would get it. An unreadable image, or one the model answers with NaN or infinity, is reported on stderr
 * and the others are still predicted; the exit code is then 1.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Predict labels for images with an exported ONNX model (ONNX Runtime, CPU or CUDA).",
        "One line per image; --json prints one JSON object per image instead."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file written by graft export.")
    Path model;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "IMAGE", description = "Image files (JPEG, PNG, BMP, GIF, TIFF).")
    List<Path> images;

    @Option(names = "--top", defaultValue = "5", description = "Classes shown per image for single-label models (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}; CUDA falls back to the CPU with a note).")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime threads per image, 0 for its default (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--max-image-bytes", defaultValue = "64MB", paramLabel = "SIZE", description = CliOptions.MAX_IMAGE_BYTES_HELP)
    String maxImageBytes;

    @Option(names = "--json", description = "One JSON object per image: file, device, predictions [{label, probability}], millis.")
    boolean json;

    /** For benchmarks: the loop's wall-clock time on stderr, timed as graft interpret times its own loop. */
    @Option(names = "--loop-time", hidden = true)
    boolean loopTime;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (top < 1) {
            throw new GraftException("--top must be at least 1, not " + top);
        }
        EdgeOptions options;
        try {
            options = EdgeOptions.builder().optDevice(device).optTopK(top).optIntraOpThreads(threads)
                .optMaxImageBytes(CliOptions.parseBytes("--max-image-bytes", maxImageBytes)).optLogNotes(false).build();
        } catch (EdgeException e) {
            throw new GraftException(e.getMessage(), e);
        }
        warmUpImageIo();
        int failed = 0;
        try (EdgeModel m = EdgeModel.load(model, options)) {
            for (String note : m.metadata().assumptions()) {
                err.println("graft: note: " + note);
            }
            if (!options.device().equals("auto")) { // auto falling back to the CPU is the expected case, not news
                m.deviceNote().ifPresent(n -> err.println("graft: note: " + n));
            }
            err.flush();
            long loopStart = System.nanoTime();
            for (Path image : images) {
                long start = System.nanoTime();
                Prediction p;
                try {
                    p = m.predict(image);
                } catch (BadInputException | NonFiniteOutputException e) {
                    err.println("graft: " + e.getMessage()
                        + (e instanceof ImageTooLargeException ? " (raise it with --max-image-bytes)" : ""));
                    err.flush();
                    failed++;
                    continue;
                }
                double millis = (System.nanoTime() - start) / 1e6;
                List<LabelScore> shown = p.task() == Task.SINGLE_LABEL ? p.top(top) : p.answer();
                out.println(json ? PredictionJson.prediction(image.toString(), p, shown, millis).toString()
                        : PredictionJson.line(image.toString(), p, shown));
                out.flush();
            }
            if (loopTime) {
                double secs = (System.nanoTime() - loopStart) / 1e9;
                err.printf(java.util.Locale.ROOT, "graft: %d images through the model in %.3f s%n", images.size(), secs);
                err.flush();
            }
        } catch (EdgeException e) {
            throw new GraftException(e.getMessage(), e);
        }
        return failed == 0 ? 0 : 1;
    }

    /** Loads ImageIO's plugin registry and JPEG classes on another core while ONNX Runtime builds the session. */
    static void warmUpImageIo() {
        Thread warmUp = new Thread(() -> javax.imageio.ImageIO.getImageReadersByFormatName("jpeg").hasNext(),
                "graft-imageio-warm-up");
        warmUp.setDaemon(true);
        warmUp.start();
    }
}
