package dev.graft.benchmarks.proof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.ExportProof;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.TrainedReference;
import dev.graft.exporter.onnx.proto.OnnxProto.AttributeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.NodeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto;
import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Layer;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Node;
import dev.graft.models.weights.Tensor;
import dev.graft.trainer.model.InferenceModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The export proof, with its derived tolerance, still refuses wrong graphs of models with trained-like weights, deep
 * ones included, and writes nothing when it does; and it accepts the right graph of the same models (so each refusal
 * is the mutation's doing). Each mutation is a bug an exporter could plausibly have, injected after the reference was
 * computed: into the graph (concat order, Linear layout, softmax axis, first convolution's channels) or into what the
 * translation is given (BatchNorm epsilon, a folded BatchNorm's statistics). 64 px and a quick calibration of the
 * weights keep it to a few minutes on 2 cores; the 224 px figures of every architecture come from
 * {@link ExportProofBench}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportProofMutationTest {
    private static final int SIZE = 64;
    private final Map<String, Model> models = new LinkedHashMap<>();

    @TempDir
    Path dir;

    /** One architecture's trained-like weights, options and reference (both forwards remembered: same input each time). */
    private record Model(Network network, Map<String, Tensor> weights, ExportOptions options, Cached reference,
                         InferenceModel f32, InferenceModel f64) {
    }

    @BeforeAll
    void load() {
        for (String arch : new String[] {"resnet18", "resnet101", "resnet152"}) {
            Network net = VisionModel.builder().setArch(arch).setClasses(10).build();
            Map<String, Tensor> weights = TrainedLikeWeights.of(net, 3, 8); // a quick calibration
            ExportOptions options = ExportOptions.builder().setNetwork(net).setWeights(weights)
                    .optInputSize(SIZE, SIZE).build();
            InferenceModel f32 = InferenceModel.load(net, weights, SIZE, SIZE);
            InferenceModel f64 = InferenceModel.loadFloat64(net, weights, SIZE, SIZE);
            models.put(arch, new Model(net, weights, options, new Cached(TrainedReference.of(f32::forward,
                    f64::forwardFloat64)), f32, f64));
        }
    }

    @AfterAll
    void close() {
        models.values().forEach(m -> {
            m.f32().close();
            m.f64().close();
        });
    }

    static Stream<String> archs() {
        return Stream.of("resnet18", "resnet101", "resnet152");
    }

    @ParameterizedTest
    @MethodSource("archs")
    void theRightGraphPassesAndIsWritten(String arch) throws IOException {
        Model m = models.get(arch);
        Path out = dir.resolve(arch + ".onnx");

        ExportProof.Result r = prove(m, OnnxExporter.exportFp32(m.options()), out);

        System.out.printf("%s %d px: centred logits |onnx - fp64| %.3g, own fp32 - fp64 %.3g, tolerance %.3g;"
                + " probabilities %.3g, own %.3g, tolerance %.3g; top class on %d%n", arch, SIZE, r.logitDiff(),
                r.float32LogitError(), r.logitTolerance(), r.maxAbsDiff(), r.float32Error(), r.tolerance(),
                r.argmaxChecked());
        assertThat(r.passed()).isTrue();
        assertThat(r.basis()).isEqualTo(ExportProof.Basis.DERIVED);
        assertThat(r.centred()).isTrue();
        assertThat(r.float32LogitError()).isPositive();
        assertThat(r.argmaxChecked()).isBetween(0, ExportProof.DEFAULT_BATCH); // a near-tie is not checked
        assertThat(Files.size(out)).isPositive();
    }

    @ParameterizedTest
    @MethodSource("archs")
    void epsilonOffBy1e3InEveryBatchNormIsRefused(String arch) {
        Model m = models.get(arch);
        Network.Builder b = Network.builder().arch(m.network().arch()).inputChannels(m.network().inputChannels())
                .bodyEnd(m.network().bodyEnd());
        for (Node n : m.network().nodes()) {
            b.add(n.layer() instanceof Layer.BatchNorm bn ? new Node(n.id(), new Layer.BatchNorm(bn.features(),
                    bn.dims(), bn.eps() + 1e-3, bn.momentum()), n.inputs()) : n);
        }
        Network wrong = b.groups(m.network().groups()).build();
        refused(m, OnnxExporter.exportFp32(m.options().toBuilder().setNetwork(wrong).build()));
    }

    @ParameterizedTest
    @MethodSource("archs")
    void theLastStagesFirstBatchNormFoldedWithTheWrongSignIsRefused(String arch) {
        Model m = models.get(arch);
        Map<String, Tensor> w = new LinkedHashMap<>(m.weights());
        String mean = "layer4.0.bn1.running_mean";
        w.put(mean, Tensor.ofFloats(w.get(mean).shape(), negated(w.get(mean).toFloatArray()))); // mean added
        refused(m, OnnxExporter.exportFp32(m.options().toBuilder().setWeights(w).build()));
    }

    @ParameterizedTest
    @MethodSource("archs")
    void theLastStagesFirstBatchNormLeftOutIsRefused(String arch) {
        Model m = models.get(arch);
        Map<String, Tensor> w = new LinkedHashMap<>(m.weights());
        String bn = "layer4.0.bn1";
        Layer.BatchNorm layer = (Layer.BatchNorm) m.network().node(bn).layer();
        float[] var = w.get(bn + ".running_var").toFloatArray();
        float[] gamma = new float[var.length];
        for (int i = 0; i < var.length; i++) {
            gamma[i] = (float) Math.sqrt(var[i] + layer.eps());
        }
        // gamma = sqrt(var + eps) and beta = mean make the fold the identity: the convolution's output goes on as is
        w.put(bn + ".weight", Tensor.ofFloats(new long[] {var.length}, gamma));
        w.put(bn + ".bias", w.get(bn + ".running_mean"));
        refused(m, OnnxExporter.exportFp32(m.options().toBuilder().setWeights(w).build()));
    }

    @ParameterizedTest
    @MethodSource("archs")
    void concatPoolingInTheWrongOrderIsRefused(String arch) {
        Model m = models.get(arch);
        refused(m, editNode(OnnxExporter.exportFp32(m.options()), "Concat", n -> {
            assertThat(n.getInput(0)).endsWith(".max");
            return n.toBuilder().setInput(0, n.getInput(1)).setInput(1, n.getInput(0)).build(); // average first
        }));
    }

    @ParameterizedTest
    @MethodSource("archs")
    void aTransposedLinearWeightIsRefused(String arch) {
        Model m = models.get(arch);
        ModelProto model = OnnxExporter.exportFp32(m.options());
        NodeProto gemm = model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Gemm"))
                .reduce((a, b) -> b).orElseThrow();
        String weight = gemm.getInput(1);
        // The [out, in] values read as [in, out] (transB off): a layout bug that keeps every shape valid.
        ModelProto wrong = editNode(model, "Gemm", n -> !n.getName().equals(gemm.getName()) ? n
                : n.toBuilder().clearAttribute().addAttribute(AttributeProto.newBuilder().setName("transB").setI(0)
                        .setType(AttributeProto.AttributeType.INT)).build());
        refused(m, editInitializer(wrong, weight, t -> t.toBuilder().setDims(0, t.getDims(1)).setDims(1, t.getDims(0))
                .build()));
    }

    @ParameterizedTest
    @MethodSource("archs")
    void softmaxOverTheWrongAxisIsRefused(String arch) {
        Model m = models.get(arch);
        // every logit right, every probability wrong: refused in probabilities
        refused(m, editNode(OnnxExporter.exportFp32(m.options()), "Softmax", n -> n.toBuilder().clearAttribute()
                .addAttribute(AttributeProto.newBuilder().setName("axis").setI(0)
                        .setType(AttributeProto.AttributeType.INT)).build()),
                "the export does not match the trained model: largest difference ");
    }

    @ParameterizedTest
    @MethodSource("archs")
    void twoInputChannelsSwappedInTheFirstConvolutionAreRefused(String arch) {
        Model m = models.get(arch);
        ModelProto model = OnnxExporter.exportFp32(m.options());
        String weight = model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv"))
                .findFirst().orElseThrow().getInput(1);
        refused(m, editInitializer(model, weight, t -> {
            float[] v = floats(t);
            long[] d = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
            int plane = (int) (d[2] * d[3]);
            int in = (int) d[1];
            for (int o = 0; o < d[0]; o++) {
                for (int i = 0; i < plane; i++) {
                    int a = (o * in) * plane + i;
                    int b = (o * in + 1) * plane + i;
                    float s = v[a];
                    v[a] = v[b];
                    v[b] = s;
                }
            }
            return withFloats(t, v);
        }));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private ExportProof.Result prove(Model m, ModelProto graph, Path out) {
        return ExportProof.proveAndWrite(graph, m.options(), m.reference(), ExportProof.DEFAULT_SEED,
                ExportProof.DEFAULT_BATCH, SIZE, SIZE, OptionalDouble.empty(), out);
    }

    /** Refused at the logits, where every mutation but one lands. */
    private void refused(Model m, ModelProto wrong) {
        refused(m, wrong, "the export does not match the trained model: its logits, centred per image, differ by up to ");
    }

    private void refused(Model m, ModelProto wrong, String start) {
        Path out = dir.resolve("model.onnx");
        assertThatThrownBy(() -> prove(m, wrong, out))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith(start)
                .hasMessageContaining("nothing was written to " + out)
                .satisfies(e -> System.out.println(m.network().arch() + ": " + e.getMessage()))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("nothing written, no temporary file left").isEmpty();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ModelProto editNode(ModelProto model, String opType, UnaryOperator<NodeProto> edit) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        int edited = 0;
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).getOpType().equals(opType)) {
                NodeProto after = edit.apply(g.getNode(i));
                if (!after.equals(g.getNode(i))) {
                    g.setNode(i, after);
                    edited++;
                }
            }
        }
        assertThat(edited).as("nodes of type %s edited", opType).isEqualTo(1);
        return model.toBuilder().setGraph(g).build();
    }

    private static ModelProto editInitializer(ModelProto model, String name, UnaryOperator<TensorProto> edit) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getName().equals(name)) {
                g.setInitializer(i, edit.apply(g.getInitializer(i)));
                return model.toBuilder().setGraph(g).build();
            }
        }
        throw new AssertionError("no initializer " + name);
    }

    private static float[] floats(TensorProto t) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    private static TensorProto withFloats(TensorProto t, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return t.toBuilder().setRawData(ByteString.copyFrom(b.array())).build();
    }

    private static float[] negated(float[] v) {
        float[] out = Arrays.copyOf(v, v.length);
        for (int i = 0; i < out.length; i++) {
            out[i] = -out[i];
        }
        return out;
    }

    /** The trained model's two forwards, computed once for the one input every proof here uses. */
    private static final class Cached implements TrainedReference {
        private final TrainedReference inner;
        private float[] input;
        private float[] f32;
        private double[] f64;

        Cached(TrainedReference inner) {
            this.inner = inner;
        }

        @Override
        public synchronized float[] forwardFloat32(float[] nchw, int n, int c, int h, int w) {
            if (f32 == null || !Arrays.equals(input, nchw)) {
                reset(nchw);
                f32 = inner.forwardFloat32(nchw.clone(), n, c, h, w);
            }
            return f32.clone();
        }

        @Override
        public synchronized double[] forwardFloat64(float[] nchw, int n, int c, int h, int w) {
            if (f64 == null || !Arrays.equals(input, nchw)) {
                reset(nchw);
                f64 = inner.forwardFloat64(nchw.clone(), n, c, h, w);
            }
            return f64.clone();
        }

        private void reset(float[] nchw) {
            if (!Arrays.equals(input, nchw)) {
                input = nchw.clone();
                f32 = null;
                f64 = null;
            }
        }
    }
}
