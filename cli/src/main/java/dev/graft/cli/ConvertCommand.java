package dev.graft.cli;

import dev.graft.files.FileRefusedException;
import dev.graft.files.OutputFile;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code graft convert}: a PyTorch or fastai weight file as safetensors, for tools that read only that format.
 *
 * <p>Every other command already reads {@code .pth} files directly; this one exists for the rest of a team's tool
 * chain (and to keep a checked, memory-mappable copy). Values are copied bit for bit, one contiguous tensor per name:
 * safetensors has no views, so tied weights are written once under each of their names.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Convert a PyTorch/fastai weight file (.pth, .pt, .bin, .pkl) to safetensors.",
        "Reads torch.save files (zip or legacy), fastai learn.save files and export.pkl without running Python or",
        "anything in the file; writes every tensor bit for bit, and records the source in the metadata."})
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "The weight file to read (format detected from its content).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The .safetensors file to write.")
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        if (!Files.isRegularFile(in)) {
            throw new GraftException(Files.exists(in) ? in + " is not a regular file" : "weight file not found: " + in);
        }
        try {
            // refused here, before the file is read: a device, pipe, folder or link, or the input itself
            OutputFile.of(out, "the safetensors file", in);
        } catch (FileRefusedException e) {
            throw new GraftException(e.getMessage(), e);
        }
        long start = System.nanoTime();
        try (TensorFile file = WeightFiles.open(in)) {
            Map<String, Tensor> tensors = file.all();
            Map<String, String> metadata = new TreeMap<>(file.metadata());
            // a safetensors reader reports its own format under this key, so the origin is kept under another one
            String format = metadata.remove(WeightFiles.SOURCE_FORMAT);
            metadata.put("graft.source_format", format);
            metadata.put("graft.converted_from", String.valueOf(in.getFileName()));
            metadata.put("graft.source_sha256", Checkpoint.sha256(in));
            long bytes = tensors.values().stream().mapToLong(Tensor::byteSize).sum();
            SafeTensors.write(out, tensors, metadata);
            o.printf(Locale.ROOT, "converted %s (%s, %d tensors, %.1f MB) to %s in %.1f s%n", in, format, tensors.size(),
                bytes / 1e6, out, (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }
}
