package dev.graft.exporter.quant;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void explore() throws Exception {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        var w = Initializer.init(net, 1);
        int n = 16, h = 64;
        float[] data = new float[n * 3 * h * h];
        Random r = new Random(1);
        for (int i = 0; i < data.length; i++) data[i] = (float) r.nextGaussian();
        CalibrationData cal = new CalibrationData() {
            public int size() { return n; }
            public int channels() { return 3; }
            public int height() { return h; }
            public int width() { return h; }
            public void read(int i, float[] dst, int off) { System.arraycopy(data, i * 3 * h * h, dst, off, 3 * h * h); }
            public String describe() { return "noise"; }
        };
        boolean head = Boolean.getBoolean("head");
        ExportOptions o = ExportOptions.builder().setNetwork(net).setWeights(w).optInputSize(h, h)
            .optPrecision(dev.graft.exporter.Precision.INT8).optCalibrationData(cal).optQuantizeHead(head).build();
        ModelProto q = OnnxExporter.export(o);
        Path dir = Path.of("/tmp/qscratch");
        Files.createDirectories(dir);
        OnnxFiles.writeAtomically(q, dir.resolve("q.onnx"));
        System.out.println(OnnxExporter.opHistogram(q));
        try (OrtRunner ort = OrtRunner.open(q.toByteArray(), OptLevel.ALL_OPT, 2, dir.resolve("q.opt.onnx"))) {
            float[] y = ort.run("input", java.util.Arrays.copyOf(data, 2 * 3 * h * h), new long[] {2, 3, h, h}, "probabilities");
            System.out.println(java.util.Arrays.toString(y));
        }
        ModelProto opt = OnnxFiles.read(dir.resolve("q.opt.onnx"));
        System.out.println("optimised: " + OnnxExporter.opHistogram(opt));
        ModelProto f16 = OnnxExporter.export(o.toBuilder().optPrecision(dev.graft.exporter.Precision.FP16).optCalibrationData(null).optQuantizeHead(false).build());
        OnnxFiles.writeAtomically(f16, dir.resolve("f16.onnx"));
        try (OrtRunner ort = OrtRunner.open(f16.toByteArray(), OptLevel.ALL_OPT, 2, dir.resolve("f16.opt.onnx"))) {
            float[] y = ort.run("input", java.util.Arrays.copyOf(data, 2 * 3 * h * h), new long[] {2, 3, h, h}, "probabilities");
            System.out.println(java.util.Arrays.toString(y));
        }
        System.out.println("fp16 optimised: " + OnnxExporter.opHistogram(OnnxFiles.read(dir.resolve("f16.opt.onnx"))));
        ModelProto f32 = OnnxExporter.exportFp32(o);
        try (OrtRunner ort = OrtRunner.open(f32.toByteArray(), OptLevel.ALL_OPT, 2)) {
            float[] y = ort.run("input", java.util.Arrays.copyOf(data, 2 * 3 * h * h), new long[] {2, 3, h, h}, "probabilities");
            System.out.println(java.util.Arrays.toString(y));
        }
    }
}
