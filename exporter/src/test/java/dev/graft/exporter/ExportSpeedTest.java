package dev.graft.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.models.weights.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exporting a resnet50 is a matter of seconds, and the file is the weights plus little else. */
class ExportSpeedTest {
    @TempDir
    Path dir;

    @Test
    void resnet50ExportsQuicklyAndCompactly() throws IOException {
        Network net = TestModels.resnet("resnet50", 10, dev.graft.models.head.HeadOptions.defaults());
        Map<String, Tensor> weights = Initializer.init(net, 50);
        long rawBytes = net.params().keySet().stream().mapToLong(k -> weights.get(k).byteSize()).sum();
        ExportOptions options = TestModels.options(net, weights).build();
        Path out = dir.resolve("resnet50.onnx");

        long[] millis = new long[2];
        for (int i = 0; i < 2; i++) {
            long start = System.nanoTime();
            OnnxExporter.exportTo(options, out);
            millis[i] = (System.nanoTime() - start) / 1_000_000;
        }
        long size = Files.size(out);

        System.out.printf("resnet50 + head export (fold, write): first %d ms, second %d ms; file %,d bytes,"
                + " raw weights %,d bytes (%.4f)%n", millis[0], millis[1], size, rawBytes, (double) size / rawBytes);
        // The target is 3 s; the bound leaves room for a loaded build machine.
        assertThat(Math.min(millis[0], millis[1])).isLessThan(15_000);
        assertThat((double) size / rawBytes).isBetween(0.98, 1.01);
    }
}
