package dev.graft.exporter.quant;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto.DataType;
import dev.graft.exporter.onnx.proto.OnnxProto.TypeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ValueInfoProto;
import dev.graft.models.GraftException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the float32 model in ONNX Runtime over the calibration images and records the statistics of the tensors that
 * will be quantised.
 *
 * <p>ONNX Runtime only returns graph outputs, so the model is run with every observed tensor added as an output. The
 * images go in small batches (fewer for large inputs) to bound the memory that all those intermediate tensors take.
 */
final class Calibrator {
    /** Images per batch at 224 x 224; scaled down for larger inputs. */
    private static final int BATCH_AT_224 = 8;

    private Calibrator() {
    }

    static Map<String, ActivationStats> collect(ModelProto fp32, String inputName, List<String> tensors,
                                                CalibrationData data, boolean histograms, QuantProgress progress) {
        Map<String, ActivationStats> stats = new LinkedHashMap<>();
        for (String t : tensors) {
            stats.put(t, new ActivationStats(t, histograms));
        }
        GraphProto.Builder graph = fp32.getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        graph.getOutputList().forEach(v -> outputs.add(v.getName()));
        for (String t : tensors) {
            if (!t.equals(inputName) && outputs.add(t)) {
                graph.addOutput(ValueInfoProto.newBuilder().setName(t).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataType.FLOAT.getNumber()))));
            }
        }
        byte[] augmented = fp32.toBuilder().setGraph(graph).build().toByteArray();
        int perImage = data.channels() * data.height() * data.width();
        int batch = (int) Math.max(1, Math.min(BATCH_AT_224,
                (long) BATCH_AT_224 * 224 * 224 / ((long) data.height() * data.width())));
        int total = data.size();
        progress.update("calibrating", 0, total);
        try (OrtRunner ort = OrtRunner.open(augmented, OptLevel.BASIC_OPT)) {
            for (int start = 0; start < total; start += batch) {
                int n = Math.min(batch, total - start);
                float[] x = new float[n * perImage];
                for (int i = 0; i < n; i++) {
                    data.read(start + i, x, i * perImage);
                }
                Map<String, FloatTensor> out = ort.runAll(inputName, x,
                        new long[] {n, data.channels(), data.height(), data.width()});
                for (ActivationStats s : stats.values()) {
                    float[] values = s.name().equals(inputName) ? x : tensor(out, s.name()).data();
                    s.add(values, 0, values.length);
                }
                progress.update("calibrating", start + n, total);
            }
        }
        return stats;
    }

    private static FloatTensor tensor(Map<String, FloatTensor> out, String name) {
        FloatTensor t = out.get(name);
        if (t == null) {
            throw new GraftException("calibration did not receive tensor " + name + " from ONNX Runtime");
        }
        return t;
    }
}
