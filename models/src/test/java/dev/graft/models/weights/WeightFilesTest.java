package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Format detection by content, and the one-line errors of {@link WeightFiles#open}; no Python needed. */
class WeightFilesTest {
    @TempDir
    Path dir;

    @Test
    void safetensorsIsDetectedWhateverTheExtensionAndSaysSo() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Tensor.ofFloats(new long[] {2}, new float[] {1, 2}));
        Path file = dir.resolve("weights.pth");
        SafeTensors.write(file, tensors, Map.of("format", "pt", "source.format", "torch-zip"));
        try (TensorFile read = WeightFiles.open(file)) {
            assertThat(read.all()).isEqualTo(tensors);
            assertThat(read.metadata()).containsEntry("format", "pt").containsEntry("source.format", "safetensors");
        }
    }

    @Test
    void anythingElseIsRefusedInOneLine() throws Exception {
        Path text = Files.writeString(dir.resolve("labels.txt"), "cat\ndog\n");
        Path empty = Files.write(dir.resolve("empty.pth"), new byte[0]);
        Path missing = dir.resolve("missing.pth");
        for (Path file : new Path[] {text, empty}) {
            assertThatThrownBy(() -> WeightFiles.open(file)).isInstanceOf(GraftException.class)
                .hasMessage("cannot read " + file + ": it is not a weight file Graft knows (safetensors, a torch.save"
                    + " checkpoint such as .pth/.pt/.bin, or fastai's export.pkl)");
        }
        assertThatThrownBy(() -> WeightFiles.open(missing)).isInstanceOf(GraftException.class)
            .hasMessage("cannot read " + missing + ": no such file");
        assertThatThrownBy(() -> WeightFiles.open(dir)).isInstanceOf(GraftException.class)
            .hasMessageStartingWith("cannot read " + dir + ": ").message().doesNotContain("\n");
    }

    @Test
    void aPipeOrADeviceIsRefusedBeforeAnythingIsRead() throws Exception {
        Path fifo = dir.resolve("stage-1.pth");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        boolean made = mkfifo.waitFor() == 0 && Files.exists(fifo);
        for (Path file : made ? new Path[] {fifo, Path.of("/dev/zero")} : new Path[] {Path.of("/dev/zero")}) {
            // a FIFO no one writes would block the open for ever; /dev/zero would never end
            assertThatThrownBy(() -> WeightFiles.open(file)).isInstanceOf(GraftException.class)
                .hasMessage("cannot read " + file + ": it is not a regular file (a pipe, device or socket)");
        }
    }
}
