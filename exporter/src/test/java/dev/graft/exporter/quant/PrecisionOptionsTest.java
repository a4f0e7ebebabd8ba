package dev.graft.exporter.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.onnx.Precision;
import dev.graft.models.GraftException;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The precision settings of {@link ExportOptions} are checked together, before anything is exported. */
class PrecisionOptionsTest {
    @TempDir
    Path dir;

    private final Network net = QuantFixtures.resnet18();
    private final Map<String, Tensor> weights = Initializer.init(net, 1);

    @Test
    void int8NeedsCalibrationAndCalibrationNeedsInt8() {
        assertThatThrownBy(() -> QuantFixtures.options(net, weights, 64).optPrecision(Precision.INT8).build())
                .isInstanceOf(GraftException.class).hasMessageStartingWith("an int8 export needs calibration images");
        Path images = QuantFixtures.writeImages(dir.resolve("i"), 3, 64, 1);
        assertThatThrownBy(() -> QuantFixtures.options(net, weights, 64).optCalibrationImages(images).build())
                .isInstanceOf(GraftException.class)
                .hasMessage("calibration and head quantisation apply to int8 exports only; this export is fp32");
        assertThatThrownBy(() -> QuantFixtures.options(net, weights, 64).optPrecision(Precision.FP16)
                .optQuantizeHead(true).build()).isInstanceOf(GraftException.class)
                .hasMessageEndingWith("this export is fp16");
        assertThatThrownBy(() -> QuantFixtures.options(net, weights, 64).optPrecision(Precision.INT8)
                .optCalibrationImages(images).optCalibrationData(QuantFixtures.arrays(new float[0], 0, 3, 64)).build())
                .isInstanceOf(GraftException.class).hasMessage("give calibration images or calibration data, not both");
        assertThatThrownBy(() -> QuantFixtures.options(net, weights, 64).optPrecision(Precision.INT8)
                .optCalibrationData(QuantFixtures.arrays(new float[0], 0, 1, 64)).build())
                .isInstanceOf(GraftException.class)
                .hasMessage("the calibration data have 1 channel(s) but the model reads 3");
        assertThatThrownBy(() -> QuantFixtures.options(net, weights, 64).optPrecision(Precision.INT8).optFold(false)
                .optCalibrationImages(images).build()).isInstanceOf(GraftException.class)
                .hasMessageStartingWith("int8 quantisation needs the folded graph");
        // The folder is listed when the options are built: a bad folder fails before any export work.
        assertThatThrownBy(() -> QuantFixtures.options(net, weights, 64).optPrecision(Precision.INT8)
                .optCalibrationImages(images).build()).isInstanceOf(GraftException.class)
                .hasMessageContaining("calibration needs 256 images but");
        ExportOptions ok = QuantFixtures.options(net, weights, 64).optPrecision(Precision.INT8)
                .optCalibrationImages(images).optCalibrationCount(9).build();
        assertThat(ok.calibration().orElseThrow().size()).isEqualTo(9);
        assertThat(ok.calibrationMethod()).isEqualTo(CalibrationMethod.DEFAULT);
        assertThat(ok.toBuilder().build().calibration().orElseThrow().size()).isEqualTo(9);
    }

    @Test
    void wordsParse() {
        assertThat(Precision.parse("FP16")).isEqualTo(Precision.FP16);
        assertThat(CalibrationMethod.parse("Percentile")).isEqualTo(CalibrationMethod.PERCENTILE);
        assertThatThrownBy(() -> Precision.parse("int4")).isInstanceOf(GraftException.class)
                .hasMessage("precision must be fp32, fp16 or int8, not 'int4'");
        assertThatThrownBy(() -> CalibrationMethod.parse("kl")).isInstanceOf(GraftException.class)
                .hasMessage("the calibration method must be minmax, percentile or entropy, not 'kl'");
    }
}
