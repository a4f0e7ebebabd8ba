package dev.graft.exporter.onnx;

import static dev.graft.exporter.onnx.OnnxAttribute.ofFloat;
import static dev.graft.exporter.onnx.OnnxAttribute.ofInt;
import static dev.graft.exporter.onnx.OnnxAttribute.ofInts;
import static dev.graft.exporter.onnx.OnnxDim.fixed;
import static dev.graft.exporter.onnx.OnnxDim.symbolic;

import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorProto.DataType;
import java.util.List;
import java.util.Random;

/**
 * Small hand-built graphs shared by the tests, each with seeded random weights and a plain-Java reference.
 *
 * <p>Every graph takes an NCHW float input named {@code input} with symbolic batch, height and width, as Graft's
 * exported classifiers do.
 */
final class TestGraphs {
    static final String INPUT = "input";

    private TestGraphs() {
    }

    static OnnxGraphBuilder withImageInput(String graphName, int opset, int channels) {
        return new OnnxGraphBuilder(graphName, opset)
                .addInput(INPUT, symbolic("batch"), fixed(channels), symbolic("height"), symbolic("width"));
    }

    /** Conv(bias) -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> Softmax: a classifier in miniature. */
    static final class Classifier {
        static final int IN = 3;
        static final int MID = 8;
        static final int CLASSES = 5;
        static final int KERNEL = 3;
        static final int STRIDE = 2;
        static final int PAD = 1;
        static final String OUTPUT = "probabilities";

        final float[] convWeight;
        final float[] convBias;
        final float[] fcWeight;
        final float[] fcBias;

        Classifier(long seed) {
            Random random = new Random(seed);
            convWeight = Reference.gaussian(random, MID * IN * KERNEL * KERNEL, 0.3);
            convBias = Reference.gaussian(random, MID, 0.1);
            fcWeight = Reference.gaussian(random, CLASSES * MID, 0.5);
            fcBias = Reference.gaussian(random, CLASSES, 0.1);
        }

        OnnxGraphBuilder builder(int opset) {
            OnnxGraphBuilder b = withImageInput("classifier", opset, IN)
                    .addInitializer("conv.weight", convWeight, MID, IN, KERNEL, KERNEL)
                    .addInitializer("conv.bias", convBias, MID)
                    .addInitializer("fc.weight", fcWeight, CLASSES, MID)
                    .addInitializer("fc.bias", fcBias, CLASSES)
                    .addOutput(OUTPUT, symbolic("batch"), fixed(CLASSES));
            b.node(OnnxOperator.CONV, "conv", List.of(INPUT, "conv.weight", "conv.bias"), List.of("conv_out"),
                    ofInts("kernel_shape", KERNEL, KERNEL), ofInts("strides", STRIDE, STRIDE),
                    ofInts("pads", PAD, PAD, PAD, PAD));
            b.node(OnnxOperator.RELU, List.of("conv_out"), List.of("relu_out"));
            b.node(OnnxOperator.GLOBAL_AVERAGE_POOL, List.of("relu_out"), List.of("pooled"));
            b.node(OnnxOperator.FLATTEN, List.of("pooled"), List.of("features"), ofInt("axis", 1));
            b.node(OnnxOperator.GEMM, "fc", List.of("features", "fc.weight", "fc.bias"), List.of("logits"),
                    ofInt("transB", 1));
            b.node(OnnxOperator.SOFTMAX, List.of("logits"), List.of(OUTPUT), ofInt("axis", 1));
            return b;
        }

        ModelProto model(int opset) {
            return builder(opset).build();
        }

        float[] reference(float[] x, int n, int h, int w) {
            int oh = Reference.outSize(h, KERNEL, STRIDE, PAD);
            int ow = Reference.outSize(w, KERNEL, STRIDE, PAD);
            float[] conv = Reference.conv2d(x, n, IN, h, w, convWeight, convBias, MID, KERNEL, STRIDE, PAD);
            float[] pooled = Reference.globalAveragePool(Reference.relu(conv), n, MID, oh, ow);
            return Reference.softmaxRows(Reference.linear(pooled, n, MID, fcWeight, fcBias, CLASSES), n, CLASSES);
        }
    }

    /**
     * BatchNormalization -> MaxPool(3, stride 1, pad 1) -> Concat(bn, pooled) -> Add(per-channel) -> Sigmoid,
     * with a second output MaxPool(2, stride 2) of the result.
     */
    static final class PoolConcat {
        static final int IN = 4;
        static final int OUT = 2 * IN;
        static final float EPSILON = 1e-3f;
        static final String OUTPUT = "activated";
        static final String POOLED = "pooled";

        final float[] scale;
        final float[] bias;
        final float[] mean;
        final float[] var;
        final float[] channelBias;

        PoolConcat(long seed) {
            Random random = new Random(seed);
            scale = Reference.gaussian(random, IN, 1.0);
            bias = Reference.gaussian(random, IN, 0.5);
            mean = Reference.gaussian(random, IN, 0.5);
            var = new float[IN];
            for (int i = 0; i < IN; i++) {
                var[i] = 0.2f + random.nextFloat();
            }
            channelBias = Reference.gaussian(random, OUT, 0.5);
        }

        ModelProto model(int opset) {
            OnnxGraphBuilder b = withImageInput("pool_concat", opset, IN)
                    .addInitializer("bn.scale", scale, IN)
                    .addInitializer("bn.bias", bias, IN)
                    .addInitializer("bn.mean", mean, IN)
                    .addInitializer("bn.var", var, IN)
                    .addInitializer("channel_bias", channelBias, OUT, 1, 1)
                    .addOutput(OUTPUT, symbolic("batch"), fixed(OUT), symbolic("height"), symbolic("width"))
                    .addOutput(POOLED, symbolic("batch"), fixed(OUT), symbolic("pooled_height"),
                            symbolic("pooled_width"));
            b.node(OnnxOperator.BATCH_NORMALIZATION, "bn", List.of(INPUT, "bn.scale", "bn.bias", "bn.mean", "bn.var"),
                    List.of("normalized"), ofFloat("epsilon", EPSILON));
            b.node(OnnxOperator.MAX_POOL, List.of("normalized"), List.of("local_max"),
                    ofInts("kernel_shape", 3, 3), ofInts("strides", 1, 1), ofInts("pads", 1, 1, 1, 1));
            b.node(OnnxOperator.CONCAT, List.of("normalized", "local_max"), List.of("both"), ofInt("axis", 1));
            b.node(OnnxOperator.ADD, List.of("both", "channel_bias"), List.of("shifted"));
            b.node(OnnxOperator.SIGMOID, List.of("shifted"), List.of(OUTPUT));
            b.node(OnnxOperator.MAX_POOL, List.of(OUTPUT), List.of(POOLED),
                    ofInts("kernel_shape", 2, 2), ofInts("strides", 2, 2));
            return b.build();
        }

        /** The {@link #OUTPUT} tensor, [n, 8, h, w]. */
        float[] reference(float[] x, int n, int h, int w) {
            float[] bn = Reference.batchNorm(x, n, IN, h * w, scale, bias, mean, var, EPSILON);
            float[] local = Reference.maxPool(bn, n, IN, h, w, 3, 1, 1);
            float[] both = Reference.concatChannels(bn, IN, local, IN, n, h * w);
            return Reference.sigmoid(Reference.addPerChannel(both, n, OUT, h * w, channelBias));
        }
    }

    /**
     * The remaining operators: GlobalMaxPool -> Flatten -> MatMul -> Dropout -> Mul -> Sub -> Identity, then
     * Clip -> HardSigmoid -> QuantizeLinear -> DequantizeLinear and Cast, and HardSwish where the opset has it.
     */
    static final class OtherOps {
        static final int IN = 4;
        static final int OUT = 3;
        static final float CLIP_MIN = -1f;
        static final float CLIP_MAX = 1.5f;
        static final float HS_ALPHA = 0.3f;
        static final float HS_BETA = 0.4f;
        static final float Q_SCALE = 1f / 200;
        static final int Q_ZERO = 10;
        static final String DEQUANTIZED = "dequantized";
        static final String QUANTIZED_AS_FLOAT = "quantized_as_float";
        static final String IDENTITY = "identity";
        static final String HARD_SWISH = "hard_swish";

        final float[] weight;
        final float[] multiplier;
        final float[] offset;

        OtherOps(long seed) {
            Random random = new Random(seed);
            weight = Reference.gaussian(random, IN * OUT, 0.8);
            multiplier = Reference.gaussian(random, OUT, 1.0);
            offset = Reference.gaussian(random, OUT, 0.3);
        }

        ModelProto model(int opset) {
            OnnxGraphBuilder b = withImageInput("other_ops", opset, IN)
                    .addInitializer("weight", weight, IN, OUT)
                    .addInitializer("multiplier", multiplier, OUT)
                    .addInitializer("offset", offset, OUT)
                    .addInitializer("clip_min", new float[] {CLIP_MIN})
                    .addInitializer("clip_max", new float[] {CLIP_MAX})
                    .addInitializer("q_scale", new float[] {Q_SCALE})
                    .addUint8Initializer("q_zero", new byte[] {(byte) Q_ZERO})
                    .addOutput(IDENTITY, symbolic("batch"), fixed(OUT))
                    .addOutput(DEQUANTIZED, symbolic("batch"), fixed(OUT))
                    .addOutput(QUANTIZED_AS_FLOAT, symbolic("batch"), fixed(OUT));
            b.node(OnnxOperator.GLOBAL_MAX_POOL, List.of(INPUT), List.of("gmp"));
            b.node(OnnxOperator.FLATTEN, List.of("gmp"), List.of("flat"), ofInt("axis", 1));
            b.node(OnnxOperator.MAT_MUL, List.of("flat", "weight"), List.of("projected"));
            b.node(OnnxOperator.DROPOUT, List.of("projected"), List.of("dropped"));
            b.node(OnnxOperator.MUL, List.of("dropped", "multiplier"), List.of("scaled"));
            b.node(OnnxOperator.SUB, List.of("scaled", "offset"), List.of("shifted"));
            b.node(OnnxOperator.IDENTITY, List.of("shifted"), List.of(IDENTITY));
            b.node(OnnxOperator.CLIP, List.of(IDENTITY, "clip_min", "clip_max"), List.of("clipped"));
            b.node(OnnxOperator.HARD_SIGMOID, List.of("clipped"), List.of("gated"),
                    ofFloat("alpha", HS_ALPHA), ofFloat("beta", HS_BETA));
            b.node(OnnxOperator.QUANTIZE_LINEAR, List.of("gated", "q_scale", "q_zero"), List.of("quantized"));
            b.node(OnnxOperator.DEQUANTIZE_LINEAR, List.of("quantized", "q_scale", "q_zero"), List.of(DEQUANTIZED));
            b.node(OnnxOperator.CAST, List.of("quantized"), List.of(QUANTIZED_AS_FLOAT),
                    ofInt("to", DataType.FLOAT_VALUE));
            if (OnnxOperator.HARD_SWISH.availableIn(opset)) {
                b.addOutput(HARD_SWISH, symbolic("batch"), fixed(OUT));
                b.node(OnnxOperator.HARD_SWISH, List.of(IDENTITY), List.of(HARD_SWISH));
            }
            return b.build();
        }

        /** The {@link #IDENTITY} tensor, [n, 3]. */
        float[] identity(float[] x, int n, int h, int w) {
            float[] projected = Reference.matMul(Reference.globalMaxPool(x, n, IN, h, w), n, IN, weight, OUT);
            float[] y = new float[projected.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = projected[i] * multiplier[i % OUT] - offset[i % OUT];
            }
            return y;
        }

        /** HardSigmoid(Clip(identity)), the value that is then quantised. */
        static float[] gated(float[] identity) {
            float[] y = new float[identity.length];
            for (int i = 0; i < y.length; i++) {
                float clipped = Math.min(CLIP_MAX, Math.max(CLIP_MIN, identity[i]));
                y[i] = Math.max(0f, Math.min(1f, HS_ALPHA * clipped + HS_BETA));
            }
            return y;
        }

        /** QuantizeLinear to uint8: round half to even, then saturate. */
        static float[] quantized(float[] gated) {
            float[] y = new float[gated.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = (float) Math.max(0, Math.min(255, Math.rint(gated[i] / Q_SCALE) + Q_ZERO));
            }
            return y;
        }

        /** HardSwish: x * max(0, min(1, x / 6 + 1 / 2)). */
        static float[] hardSwish(float[] x) {
            float[] y = new float[x.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = x[i] * Math.max(0f, Math.min(1f, x[i] / 6f + 0.5f));
            }
            return y;
        }
    }
}
