package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsAtomicWriteTest {
    @TempDir
    Path dir;

    private static final Map<String, Tensor> SMALL =
            Map.of("w", Tensor.ofFloats(new long[] {2}, new float[] {1f, 2f}));

    private List<String> filesIn(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void successLeavesOnlyTheTarget() throws IOException {
        Path target = dir.resolve("model.safetensors");
        SafeTensors.write(target, SMALL, Map.of());
        assertThat(filesIn(dir)).containsExactly("model.safetensors");

        Map<String, Tensor> bigger = Map.of("w", Tensor.ofFloats(new long[] {3}, new float[] {4f, 5f, 6f}));
        SafeTensors.write(target, bigger, Map.of());
        assertThat(filesIn(dir)).containsExactly("model.safetensors");
        try (TensorFile opened = SafeTensors.open(target)) {
            assertThat(opened.all()).isEqualTo(bigger);
        }
    }

    @Test
    void relativeTargetsWork() throws IOException {
        Path target = Path.of("").toAbsolutePath().relativize(dir.resolve("relative.safetensors"));
        SafeTensors.write(target, SMALL, Map.of());
        assertThat(filesIn(dir)).containsExactly("relative.safetensors");
    }

    @Test
    void theFinishedFileIsNotOwnerOnly() throws IOException {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Path plain = Files.createFile(dir.resolve("plain"));
        Path target = dir.resolve("model.safetensors");
        SafeTensors.write(target, SMALL, Map.of());
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(Files.getPosixFilePermissions(plain));
    }

    /**
     * A tensor whose bytes cannot be read half way through the write: it is mapped from a file that is then cut to
     * nothing, so the kernel refuses to copy from the vanished pages (a failure even root cannot override).
     */
    @Test
    void aFailureHalfWayKeepsTheOldFileAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("model.safetensors");
        SafeTensors.write(target, SMALL, Map.of("version", "old"));
        byte[] old = Files.readAllBytes(target);

        Path sourceDir = Files.createDirectory(dir.resolve("source"));
        Path source = sourceDir.resolve("source.safetensors");
        float[] values = new float[1 << 20];
        SafeTensors.write(source, Map.of("big", Tensor.ofFloats(new long[] {values.length}, values)), Map.of());
        TensorFile opened = SafeTensors.open(source);
        Tensor vanishing = opened.get("big");
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.WRITE)) {
            channel.truncate(0);
        }

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("first", Tensor.ofFloats(new long[] {4}, new float[] {1, 2, 3, 4}));
        tensors.put("big", vanishing);
        assertThatThrownBy(() -> SafeTensors.write(target, tensors, Map.of("version", "new")))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("cannot write " + target + ": ")
                .hasMessageContaining("the data of tensor 'big' could not be read");
        assertThat(Files.readAllBytes(target)).as("the old file is untouched").isEqualTo(old);
        assertThat(filesIn(dir)).containsExactly("model.safetensors", "source");
        opened.close();
    }

    @Test
    void aTargetThatIsADirectoryIsRefused() throws IOException {
        Path target = Files.createDirectory(dir.resolve("model.safetensors"));
        Files.writeString(target.resolve("keep"), "x");
        assertThatThrownBy(() -> SafeTensors.write(target, SMALL, Map.of()))
                .isInstanceOf(GraftException.class)
                .hasMessage("cannot write " + target + ": it is a directory");
        assertThat(filesIn(dir)).containsExactly("model.safetensors");
        assertThat(filesIn(target)).containsExactly("keep");
    }

    @Test
    void aMissingDirectoryIsReported() {
        Path target = dir.resolve("no/such/dir/model.safetensors");
        assertThatThrownBy(() -> SafeTensors.write(target, SMALL, Map.of()))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("cannot write " + target + ": ")
                .hasMessageContaining("does not exist");
    }

    @Test
    void aDirectoryThatIsReallyAFileIsReported() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        Path target = notADirectory.resolve("model.safetensors");
        assertThatThrownBy(() -> SafeTensors.write(target, SMALL, Map.of()))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("cannot write " + target + ": ");
        assertThat(filesIn(dir)).containsExactly("file");
    }

    @Test
    void reservedAndNullNamesAreRefusedBeforeTouchingTheTarget() throws IOException {
        Path target = dir.resolve("model.safetensors");
        SafeTensors.write(target, SMALL, Map.of());
        byte[] old = Files.readAllBytes(target);
        Map<String, Tensor> reserved = Map.of("__metadata__", Tensor.ofFloats(new long[] {1}, new float[] {1}));
        assertThatThrownBy(() -> SafeTensors.write(target, reserved, Map.of()))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("'__metadata__' is reserved");
        Map<String, Tensor> nullTensor = new LinkedHashMap<>();
        nullTensor.put("w", null);
        assertThatThrownBy(() -> SafeTensors.write(target, nullTensor, Map.of()))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> SafeTensors.toBytes(reserved, Map.of())).isInstanceOf(GraftException.class);
        assertThat(Files.readAllBytes(target)).isEqualTo(old);
        assertThat(filesIn(dir)).containsExactly("model.safetensors");
    }
}
