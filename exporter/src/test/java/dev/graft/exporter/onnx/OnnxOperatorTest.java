package dev.graft.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.exporter.OnnxChecker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The operator table agrees with itself and with ONNX's own schemas. */
class OnnxOperatorTest {

    @Test
    void versionAtPicksTheNewestChangeAtOrBelowTheOpset() {
        assertThat(OnnxOperator.RELU.versionAt(13)).isEqualTo(13);
        assertThat(OnnxOperator.RELU.versionAt(17)).isEqualTo(14);
        assertThat(OnnxOperator.BATCH_NORMALIZATION.versionAt(14)).isEqualTo(14);
        assertThat(OnnxOperator.BATCH_NORMALIZATION.versionAt(16)).isEqualTo(15);
        assertThat(OnnxOperator.CONV.versionAt(17)).isEqualTo(11);
        assertThat(OnnxOperator.IDENTITY.versionAt(16)).isEqualTo(16);
        assertThat(OnnxOperator.HARD_SWISH.introducedIn()).isEqualTo(14);
        assertThat(OnnxOperator.HARD_SWISH.availableIn(13)).isFalse();
        assertThatThrownBy(() -> OnnxOperator.HARD_SWISH.versionAt(13)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OnnxOperator.CONV.versionAt(18)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void changesAreAscendingAndWithinTheSupportedRange() {
        for (OnnxOperator op : OnnxOperator.values()) {
            int[] changes = op.changes();
            assertThat(changes).as(op.opType()).isSorted().doesNotHaveDuplicates();
            assertThat(changes[changes.length - 1]).as(op.opType()).isLessThanOrEqualTo(OnnxOpset.MAX);
        }
    }

    /** Cross-checks every operator's change list against {@code onnx.defs} where python3-onnx is installed. */
    @Test
    void changesMatchOnnxSchemas() {
        OnnxChecker.assumeAvailable();
        List<String> args = new ArrayList<>();
        args.add(Integer.toString(OnnxOpset.MAX));
        for (OnnxOperator op : OnnxOperator.values()) {
            args.add(op.opType());
        }
        String script = String.join("\n",
                "import sys, onnx.defs as d",
                "top = int(sys.argv[1])",
                "for op in sys.argv[2:]:",
                "    seen = []",
                "    for v in range(1, top + 1):",
                "        try:",
                "            s = d.get_schema(op, v).since_version",
                "        except Exception:",
                "            continue",
                "        if s not in seen:",
                "            seen.append(s)",
                "    print(op, *seen)");

        OnnxChecker.Result result = OnnxChecker.runPython(script, args.toArray(String[]::new));

        assertThat(result.exitCode()).as(result.output()).isZero();
        String expected = Arrays.stream(OnnxOperator.values())
                .map(op -> op.opType() + Arrays.stream(op.changes()).mapToObj(v -> " " + v).collect(Collectors.joining()))
                .collect(Collectors.joining("\n"));
        assertThat(result.output().strip()).isEqualTo(expected);
    }
}
