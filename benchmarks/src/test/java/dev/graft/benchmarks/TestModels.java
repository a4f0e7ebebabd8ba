package dev.graft.benchmarks;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.Precision;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.models.checkpoint.Preprocessing;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.data.SyntheticDataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Real models and images for the benchmark's tests, made once per test JVM under {@code target/test-models}: a
 * checkpoint with seeded initial weights and its ONNX export (so the two engines run the same weights), and a small
 * folder of synthetic PNGs.
 */
public final class TestModels {
    private static final Path ROOT = Path.of("target", "test-models").toAbsolutePath();

    private TestModels() {
    }

    /** A model: its checkpoint folder and ONNX file. */
    public record Model(Path checkpoint, Path onnx) {
    }

    /** resnet18 + fastai head, 3 classes, at {@code size} px, seeded initial weights. */
    public static synchronized Model resnet18(int size) {
        return model("resnet18", 3, size, 18);
    }

    /** An architecture with its fastai head at {@code size} px; written once and reused. */
    public static synchronized Model model(String arch, int classes, int size, long seed) {
        Path dir = ROOT.resolve(arch + "_c" + classes + "_" + size);
        Path checkpoint = dir.resolve("checkpoint");
        Path onnx = dir.resolve(arch + "_" + size + ".onnx");
        if (Files.isRegularFile(onnx) && Checkpoint.exists(checkpoint)) {
            return new Model(checkpoint, onnx);
        }
        write(arch, classes, size, seed, checkpoint, onnx);
        return new Model(checkpoint, onnx);
    }

    /** Writes a checkpoint of seeded initial weights and its ONNX export (records the weights' hash as its source). */
    public static void write(String arch, int classes, int size, long seed, Path checkpoint, Path onnx) {
        try {
            Network net = VisionModel.builder().setArch(arch).setClasses(classes).build();
            Map<String, Tensor> weights = Initializer.init(net, seed);
            List<String> labels = java.util.stream.IntStream.range(0, classes).mapToObj(i -> "class" + i).toList();
            new Checkpoint(net, weights, Task.SINGLE_LABEL, labels, Preprocessing.imagenet(size, size), 0.5, 0, null)
                .write(checkpoint);
            Files.createDirectories(onnx.toAbsolutePath().getParent());
            Path tmp = onnx.resolveSibling(onnx.getFileName() + ".tmp.onnx");
            OnnxExporter.exportTo(ExportOptions.builder().setNetwork(net).setWeights(weights).optInputSize(size, size)
                .optLabels(labels).optSourceHash(Checkpoint.weightsHash(checkpoint)).build(), tmp);
            Files.move(tmp, onnx, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The int8 (QDQ) export of {@link #resnet18(int)}'s checkpoint, calibrated on 8 of the synthetic {@link #images()},
     * written once as {@code resnet18_SIZE-int8.onnx} beside the fp32 one.
     */
    public static synchronized Model resnet18Int8(int size) {
        Model fp32 = resnet18(size);
        Path onnx = fp32.onnx().resolveSibling("resnet18_" + size + "-int8.onnx");
        if (!Files.isRegularFile(onnx)) {
            Checkpoint c = Checkpoint.read(fp32.checkpoint());
            Path tmp = onnx.resolveSibling(onnx.getFileName() + ".tmp.onnx");
            OnnxExporter.exportTo(ExportOptions.builder().setNetwork(c.network()).setWeights(c.weights())
                .optInputSize(size, size).optLabels(c.labels()).optSourceHash(Checkpoint.weightsHash(fp32.checkpoint()))
                .optPrecision(Precision.INT8).optCalibrationImages(images()).optCalibrationCount(8).build(), tmp);
            try {
                Files.move(tmp, onnx, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new Model(fp32.checkpoint(), onnx);
    }

    /** A folder of synthetic PNG images (3 classes x 4, 96 px), made once. */
    public static synchronized Path images() {
        Path dir = ROOT.resolve("images");
        if (Files.isDirectory(dir.resolve("train"))) {
            return dir;
        }
        try {
            Path tmp = ROOT.resolve("images.tmp");
            if (Files.exists(tmp)) {
                try (var walk = Files.walk(tmp)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(ROOT);
            SyntheticDataset.generate(tmp, 3, 96, 4, false, 1);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
