package dev.graft.models.summary;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The summary writes hyperparameters as Python's {@code repr} does, as PyTorch's module printout shows them. */
class PythonFloatTest {

    @ParameterizedTest
    @CsvSource({"1e-6, 1e-06", "1e-5, 1e-05", "1e-4, 0.0001", "0.001, 0.001", "0.1, 0.1", "2.5e-7, 2.5e-07",
        "1e20, 1e+20", "0.5, 0.5"})
    void writesWhatPythonsReprWrites(double value, String python) {
        assertThat(NetworkSummary.pythonFloat(value)).isEqualTo(python);
    }
}
