package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.quant.CalibrationData;
import dev.graft.exporter.quant.CalibrationMethod;
import dev.graft.exporter.quant.Fp16Converter;
import dev.graft.exporter.quant.QdqQuantizer;
import dev.graft.exporter.quant.QuantProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * int8 and fp16 exports load and predict like any other model: runtime-edge reads their precision from the metadata,
 * feeds and reads them in float32 as it does a float32 model, and says so when an int8 model is opened at an
 * optimisation level that leaves its integer kernels unfused.
 */
class PrecisionTest {
    private static final int SIZE = 64;
    private static final int PER = 3 * SIZE * SIZE;

    private static float[] inputs;
    private static int n;
    private static byte[] fp32;
    private static byte[] int8;
    private static byte[] fp16;

    @BeforeAll
    static void export() throws Exception {
        inputs = TestModels.goldenFloats("resnet18_c3_64_softmax.input.bin");
        n = inputs.length / PER;
        fp32 = TestModels.goldenSoftmax();
        ModelProto model = ModelProto.parseFrom(fp32);
        int8 = QdqQuantizer.quantize(model, calibration(), CalibrationMethod.MINMAX, false, QuantProgress.NONE)
                .toByteArray();
        fp16 = Fp16Converter.convert(model).toByteArray();
    }

    /** The golden inputs, in model space already, as calibration data. */
    private static CalibrationData calibration() {
        return new CalibrationData() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public int channels() {
                return 3;
            }

            @Override
            public int height() {
                return SIZE;
            }

            @Override
            public int width() {
                return SIZE;
            }

            @Override
            public void read(int index, float[] dst, int offset) {
                System.arraycopy(inputs, index * PER, dst, offset, PER);
            }

            @Override
            public String describe() {
                return n + " golden inputs";
            }
        };
    }

    private static float[] probabilities(byte[] model, EdgeOptions options) {
        try (EdgeModel m = EdgeModel.load(model, options)) {
            return m.runTensor(inputs, n, SIZE, SIZE);
        }
    }

    @Test
    void theMetadataSaysThePrecisionAndTheTaskStaysTheSame() {
        for (var c : new Object[][] {{fp32, "fp32"}, {int8, "int8"}, {fp16, "fp16"}}) {
            try (EdgeModel m = EdgeModel.load((byte[]) c[0], TestModels.cpu())) {
                assertThat(m.precision()).isEqualTo(c[1]);
                assertThat(m.task()).isEqualTo(Task.SINGLE_LABEL);
                assertThat(m.labels()).containsExactly("cat", "dog", "fish");
                assertThat(m.inputHeight()).isEqualTo(SIZE);
            }
        }
    }

    @Test
    void lowerPrecisionsPredictCloseToFloat32() {
        float[] ref = probabilities(fp32, TestModels.cpu());
        float[] half = probabilities(fp16, TestModels.cpu());
        float[] q = probabilities(int8, TestModels.cpu());
        assertThat(TestModels.maxAbsDiff(half, ref)).as("fp16 against fp32").isLessThan(2e-3);
        // calibrated on these very inputs: int8 stays near float32, every row is still a probability distribution
        assertThat(TestModels.maxAbsDiff(q, ref)).as("int8 against fp32").isLessThan(0.25); // measured 0.14 on these random inputs
        for (int i = 0; i < n; i++) {
            assertThat(q[3 * i] + q[3 * i + 1] + q[3 * i + 2]).isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-4f));
        }
    }

    @Test
    void anInt8ModelBelowLevelAllIsWarnedAboutOnceAndStillRuns() {
        EdgeOptions basic = EdgeOptions.builder().optDevice("cpu").optOptimization(EdgeOptions.Optimization.BASIC)
                .build();
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        float[] atBasic;
        try {
            atBasic = probabilities(int8, basic);
            probabilities(int8, basic);
            probabilities(fp32, basic);
            probabilities(int8, TestModels.cpu());
        } finally {
            System.setErr(old);
        }
        String log = buf.toString(StandardCharsets.UTF_8);
        old.print(log);
        assertThat(log.split("runs its integer kernels only at optimisation level all", -1)).as("logged once")
                .hasSize(2);
        assertThat(log).contains("at basic it runs as float32");
        assertThat(TestModels.maxAbsDiff(atBasic, probabilities(int8, TestModels.cpu()))).isLessThan(0.15); // measured 0.07: other rounding
        assertThat(EdgeModel.lowerPrecisionNote("fp16", EdgeOptions.Optimization.BASIC)).isNull();
        assertThat(EdgeModel.lowerPrecisionNote("int8", EdgeOptions.Optimization.ALL)).isNull();
    }
}
