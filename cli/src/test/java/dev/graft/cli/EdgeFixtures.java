package dev.graft.cli;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.testing.Fixtures;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightLoader;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** A real exported model (the golden fastai resnet18, 3 classes) and real images for the predict and serve tests. */
final class EdgeFixtures {
    private static byte[] golden;

    private EdgeFixtures() {
    }

    static synchronized byte[] goldenModel() {
        if (golden == null) {
            Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
            Path file = Fixtures.golden("resnet18_c3_64.fastai.safetensors");
            Map<String, Tensor> weights = new LinkedHashMap<>();
            try (TensorFile f = SafeTensors.open(file)) {
                WeightLoader.load(net, f.all(), LoadMode.ALL).tensors()
                        .forEach((k, v) -> weights.put(k, Tensor.ofFloats(v.shape(), v.toFloatArray())));
            }
            golden = OnnxExporter.export(ExportOptions.builder().setNetwork(net).setWeights(weights)
                    .optTask(Task.SINGLE_LABEL).optInputSize(64, 64).optLabels(List.of("cat", "dog", "fish"))
                    .build()).toByteArray();
        }
        return golden;
    }

    /** The golden model written to {@code dir}, optionally read at another input size (the graph takes any). */
    static Path writeModel(Path dir, String name, Integer size) throws IOException {
        byte[] bytes = goldenModel();
        if (size != null) {
            ModelProto.Builder b = ModelProto.parseFrom(bytes).toBuilder();
            for (int i = 0; i < b.getMetadataPropsCount(); i++) {
                if (b.getMetadataProps(i).getKey().equals("graft.input.size")) {
                    b.setMetadataProps(i, b.getMetadataProps(i).toBuilder().setValue(size + "," + size));
                }
            }
            bytes = b.build().toByteArray();
        }
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    static Path writeModelWithoutMetadata(Path dir) throws IOException {
        Path p = dir.resolve("plain.onnx");
        Files.write(p, ModelProto.parseFrom(goldenModel()).toBuilder().clearMetadataProps().build().toByteArray());
        return p;
    }

    /** The golden model with its output multiplied by {@code factor} (NaN: a model whose every answer is NaN). */
    static Path writeModelTimes(Path dir, String name, float factor) throws IOException {
        ModelProto.Builder b = ModelProto.parseFrom(goldenModel()).toBuilder();
        GraphProto.Builder g = b.getGraphBuilder();
        String out = g.getOutput(0).getName();
        String before = rerouteOutput(g, "_before_factor");
        g.addInitializer(TensorProto.newBuilder().setName("factor").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addFloatData(factor));
        g.addNode(NodeProto.newBuilder().setOpType("Mul").addInput(before).addInput("factor").addOutput(out));
        Path p = dir.resolve(name);
        Files.write(p, b.build().toByteArray());
        return p;
    }

    /**
     * The golden model with its output reshaped to a constant [2, 3], written to {@code dir/name}: a graph baked for
     * batches of two, so that any single image fails inside ONNX Runtime although the image is fine.
     */
    static Path writeModelBakedForTwo(Path dir, String name) throws IOException {
        ModelProto.Builder b = ModelProto.parseFrom(goldenModel()).toBuilder();
        GraphProto.Builder g = b.getGraphBuilder();
        String out = g.getOutput(0).getName();
        String before = rerouteOutput(g, "_before_reshape");
        g.addInitializer(TensorProto.newBuilder().setName("baked_shape").setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(2).addInt64Data(2).addInt64Data(3));
        g.addNode(NodeProto.newBuilder().setOpType("Reshape").addInput(before).addInput("baked_shape").addOutput(out));
        Path p = dir.resolve(name);
        Files.write(p, b.build().toByteArray());
        return p;
    }

    /** Renames the node output that is the graph's output, so a node added after it can produce the output. */
    private static String rerouteOutput(GraphProto.Builder g, String suffix) {
        String out = g.getOutput(0).getName();
        String before = out + suffix;
        for (NodeProto.Builder node : g.getNodeBuilderList()) {
            for (int i = 0; i < node.getOutputCount(); i++) {
                if (node.getOutput(i).equals(out)) {
                    node.setOutput(i, before);
                }
            }
        }
        return before;
    }

    static BufferedImage picture(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(seed);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillRect(0, 0, w, h);
        for (int i = 0; i < 6; i++) {
            g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            g.fillOval(r.nextInt(w), r.nextInt(h), w / 3, h / 3);
        }
        g.dispose();
        return img;
    }

    static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, format, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
