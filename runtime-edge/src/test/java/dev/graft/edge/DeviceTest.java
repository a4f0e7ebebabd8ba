package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A CUDA request on a machine (or build) without CUDA runs on the CPU, says so once in the log, and reports the CPU as
 * its device.
 */
class DeviceTest {

    private static String captureStderr(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        old.print(s);
        return s;
    }

    @Test
    void cudaFallsBackToTheCpuWithTheReasonLoggedOnce() {
        Assumptions.assumeFalse(OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
                "this ONNX Runtime build has CUDA: the fallback is not what happens here");
        EdgeOptions cuda = EdgeOptions.builder().optDevice("cuda:3").build();
        String log = captureStderr(() -> {
            for (int i = 0; i < 2; i++) {
                try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), cuda)) {
                    assertThat(model.device()).isEqualTo(Device.CPU);
                    assertThat(model.deviceNote()).hasValueSatisfying(n -> assertThat(n)
                            .startsWith("device cuda:3 requested but this ONNX Runtime build has no CUDA provider")
                            .endsWith("; running on the CPU"));
                    assertThat(model.predict(new float[3 * 64 * 64]).device()).isEqualTo(Device.CPU);
                }
            }
        });
        assertThat(log).contains("WARN dev.graft.edge.EdgeModel - device cuda:3 requested but this ONNX Runtime build"
                + " has no CUDA provider");
        assertThat(log.split("device cuda:3 requested", -1)).as("logged once").hasSize(2);
    }

    @Test
    void autoPicksTheCpuHereAndSaysWhy() {
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), EdgeOptions.defaults())) {
            if (OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA) && model.deviceNote().isEmpty()) {
                assertThat(model.device().type()).isEqualTo(Device.Type.CUDA);
            } else {
                assertThat(model.device()).isEqualTo(Device.CPU);
                assertThat(model.deviceNote()).hasValueSatisfying(n -> assertThat(n).startsWith("device auto requested"));
            }
        }
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
            assertThat(model.device()).isEqualTo(Device.CPU);
            assertThat(model.deviceNote()).isEmpty();
        }
    }

    @Test
    void deviceNamesAreChecked() {
        assertThat(EdgeOptions.builder().optDevice("CUDA").build().device()).isEqualTo("cuda:0");
        assertThat(EdgeOptions.builder().optDevice(" cuda:2 ").build().device()).isEqualTo("cuda:2");
        assertThat(EdgeOptions.builder().optDevice("Auto").build().device()).isEqualTo("auto");
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", ""}) {
            assertThatThrownBy(() -> EdgeOptions.builder().optDevice(bad)).isInstanceOf(EdgeException.class)
                    .hasMessage("unknown device '" + bad + "'; use auto, cpu, cuda or cuda:N");
        }
        assertThat(Device.cuda(1)).hasToString("cuda:1");
        assertThatThrownBy(() -> EdgeOptions.builder().optOptimization("max")).isInstanceOf(EdgeException.class)
                .hasMessageContaining("none, basic, extended or all");
        assertThatThrownBy(() -> EdgeOptions.builder().optIntraOpThreads(-1)).isInstanceOf(EdgeException.class);
    }
}
