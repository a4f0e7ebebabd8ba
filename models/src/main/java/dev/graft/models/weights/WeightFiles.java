package dev.graft.models.weights;

import dev.graft.models.GraftException;
import dev.graft.models.weights.torch.RawTensor;
import dev.graft.models.weights.torch.TorchCheckpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opens any weight file Graft reads, telling the format from the file's first bytes rather than its name: users have
 * {@code .pth}, {@code .pt}, {@code .bin}, {@code .pkl} and {@code .safetensors} files, and the extension says little
 * ({@code pytorch_model.bin} is a zip, {@code export.pkl} too).
 *
 * <ul>
 * <li>safetensors: {@link SafeTensors#open(Path)};</li>
 * <li>{@code torch.save} files, zip (PyTorch 1.6 and later) or legacy: read by
 * {@link dev.graft.models.weights.torch.TorchCheckpoint} without running anything in them. State dicts (also wrapped
 * as {@code {'state_dict': ..}}, {@code {'model_state_dict': ..}} or fastai's {@code {'model': .., 'opt': ..}}, with
 * {@code module.} / {@code _orig_mod.} prefixes stripped), pickled {@code nn.Module} trees and fastai's
 * {@code export.pkl} are accepted; TorchScript archives are refused.</li>
 * </ul>
 *
 * <p>The result's {@link TensorFile#metadata()} always holds {@code source.format} ({@code safetensors},
 * {@code torch-zip} or {@code torch-legacy}, replacing any such key a safetensors header has); PyTorch checkpoints add
 * the keys documented at {@link TorchCheckpoint#metadata()}. Tensors keep the file's dtype (bfloat16 included: the
 * weight loader widens to float before anything reaches the engine).
 */
public final class WeightFiles {
    /** The metadata key naming the format the file was read as. */
    public static final String SOURCE_FORMAT = "source.format";

    private WeightFiles() {
    }

    /**
     * Opens {@code path} as whatever weight file it is.
     *
     * @throws GraftException with one line naming the file when it cannot be read, is not a weight file Graft knows, or
     *     asks for anything a weight file does not need
     */
    public static TensorFile open(Path path) {
        String source = path.toString();
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            // a pipe or device would block the read or never end; a weight file is a plain file
            throw new GraftException("cannot read " + source + ": it is "
                + (Files.isDirectory(path) ? "a directory" : "not a regular file (a pipe, device or socket)"));
        }
        byte[] head = new byte[9];
        int read;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(head);
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // fill what the file has
            }
            read = buffer.position();
        } catch (NoSuchFileException e) {
            throw new GraftException("cannot read " + source + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new GraftException("cannot read " + source + ": permission denied", e);
        } catch (IOException e) {
            if (Files.isDirectory(path)) {
                throw new GraftException("cannot read " + source + ": it is a directory", e);
            }
            throw new GraftException("cannot read " + source + ": " + e.getMessage(), e);
        }
        boolean zip = read >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        boolean pickle = read >= 3 && TorchCheckpoint.looksLegacy(ByteBuffer.wrap(head, 0, read));
        if (zip || pickle) {
            return fromTorch(path, TorchCheckpoint.read(path));
        }
        boolean safetensors = read == 9 && head[8] == '{';
        if (!safetensors) {
            throw new GraftException("cannot read " + source + ": it is not a weight file Graft knows (safetensors, a"
                    + " torch.save checkpoint such as .pth/.pt/.bin, or fastai's export.pkl)");
        }
        try (TensorFile file = SafeTensors.open(path)) {
            Map<String, String> metadata = new LinkedHashMap<>(file.metadata());
            metadata.put(SOURCE_FORMAT, "safetensors");
            return new TensorFile(path, metadata, new LinkedHashMap<>(file.all()));
        }
    }

    private static TensorFile fromTorch(Path path, TorchCheckpoint checkpoint) {
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, RawTensor> e : checkpoint.tensors().entrySet()) {
            RawTensor raw = e.getValue();
            tensors.put(e.getKey(), Tensor.wrap(dtype(raw), raw.shape(), raw.data()));
        }
        return new TensorFile(path, checkpoint.metadata(), tensors);
    }

    private static DType dtype(RawTensor raw) {
        return switch (raw.type()) {
            case FLOAT -> DType.F32;
            case DOUBLE -> DType.F64;
            case HALF -> DType.F16;
            case BFLOAT16 -> DType.BF16;
            case LONG -> DType.I64;
            case INT -> DType.I32;
            case SHORT -> DType.I16;
            case CHAR -> DType.I8;
            case BYTE -> DType.U8;
            case BOOL -> DType.BOOL;
        };
    }
}
