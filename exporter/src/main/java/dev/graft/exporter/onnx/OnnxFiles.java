package dev.graft.exporter.onnx;

import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.files.FileRefusedException;
import dev.graft.files.InputFiles;
import dev.graft.files.OutputFile;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reading and writing {@code .onnx} files.
 *
 * <p>An export that dies half-way (disk full, Ctrl-C, a crash in the exporter) must not leave a truncated model
 * where a deployment script will pick it up, nor destroy the previous good export, and an export must never replace
 * a device, a link or its own weights. So a model is written through {@link OutputFile}: a temporary file in the
 * target's own directory, flushed to disk, and renamed over the target in one atomic step; on any failure the
 * temporary file is removed and the target is untouched.
 *
 * <p>Protobuf cannot serialise a message of 2 GiB or more, so neither can this class; Graft's classifiers are
 * far below that.
 */
public final class OnnxFiles {
    private OnnxFiles() {
    }

    /**
     * Writes {@code model} to {@code target}, replacing any regular file there, so that readers see the old file or
     * the complete new one and never anything in between. The directory must exist already. The rules of
     * {@link OutputFile} apply: a device, FIFO, folder or symbolic link at {@code target} is refused, and so is a
     * target that is the same file as one of {@code inputs}.
     *
     * @param inputs the files the export reads (weights, checkpoint files, labels), which must survive it
     * @throws GraftException if the target is refused, the directory is missing or unwritable or the write fails;
     *     nothing is left behind
     */
    public static void writeAtomically(ModelProto model, Path target, Path... inputs) {
        try {
            OutputFile.of(target, "the ONNX model", inputs).writeStream(model::writeTo);
        } catch (IOException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    /**
     * Checks, before any long work, that a model could be written to {@code target} by
     * {@link #writeAtomically(ModelProto, Path, Path...)} with the same {@code inputs}. Returns its directory.
     *
     * @throws GraftException if it could not
     */
    public static Path checkTarget(Path target, Path... inputs) {
        try {
            OutputFile.of(target, "the ONNX model", inputs);
        } catch (IOException e) {
            throw new GraftException(e.getMessage(), e);
        }
        return target.toAbsolutePath().getParent();
    }

    /**
     * Reads and parses an ONNX model.
     *
     * @throws GraftException if the file cannot be read or is not an ONNX model
     */
    public static ModelProto read(Path source) {
        byte[] bytes;
        try {
            // a regular file only: /dev/zero or a FIFO named as the model would otherwise be read until memory ran out
            bytes = InputFiles.readAllBytes(source, InputFiles.MAX_CAP, null);
        } catch (FileRefusedException e) {
            throw new GraftException("cannot read the ONNX model: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new GraftException("cannot read the ONNX model " + source + ": " + InputFiles.reason(e), e);
        }
        try {
            return ModelProto.parseFrom(bytes);
        } catch (IOException e) {
            throw new GraftException("cannot read the ONNX model " + source + ": not a valid ONNX file", e);
        }
    }

    /** How many nodes of each {@code op_type} the graph has, in order of first appearance. */
    public static Map<String, Integer> opHistogram(ModelProto model) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            counts.merge(n.getOpType(), 1, Integer::sum);
        }
        return Collections.unmodifiableMap(counts);
    }

    /** The {@code metadata_props} of a model as a map, in file order. */
    public static Map<String, String> metadata(ModelProto model) {
        Map<String, String> m = new LinkedHashMap<>();
        model.getMetadataPropsList().forEach(e -> m.put(e.getKey(), e.getValue()));
        return Collections.unmodifiableMap(m);
    }
}
