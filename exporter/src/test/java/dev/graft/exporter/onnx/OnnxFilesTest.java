package dev.graft.exporter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing a model either fully succeeds or leaves the file system as it was. */
class OnnxFilesTest {
    private static final ModelProto MODEL = new TestGraphs.Classifier(3).model(OnnxOpset.DEFAULT);

    @TempDir
    Path dir;

    @Test
    void writesTheModelAndNothingElse() throws IOException {
        Path file = dir.resolve("model.onnx");

        OnnxFiles.writeAtomically(MODEL, file);

        assertThat(Files.readAllBytes(file)).isEqualTo(MODEL.toByteArray());
        assertThat(list(dir)).containsExactly(file);
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path file = dir.resolve("model.onnx");
        Files.writeString(file, "an older export");

        OnnxFiles.writeAtomically(MODEL, file);

        assertThat(OnnxFiles.read(file)).isEqualTo(MODEL);
        assertThat(list(dir)).containsExactly(file);
    }

    @Test
    void givesTheModelOrdinaryPermissionsNotOwnerOnly() throws IOException {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path file = dir.resolve("model.onnx");
        Path ordinary = Files.createFile(dir.resolve("ordinary"));

        OnnxFiles.writeAtomically(MODEL, file);

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(Files.getPosixFilePermissions(ordinary));
    }

    @Test
    void missingDirectoryIsAGraftExceptionAndCreatesNothing() {
        Path missing = dir.resolve("no-such-dir");
        Path file = missing.resolve("model.onnx");

        assertThatThrownBy(() -> OnnxFiles.writeAtomically(MODEL, file))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("does not exist")
                .hasMessageNotContaining("\n");
        assertThat(missing).doesNotExist();
        assertThat(list(dir)).isEmpty();
    }

    @Test
    void parentThatIsAFileIsAGraftExceptionAndChangesNothing() throws IOException {
        Path notADir = Files.writeString(dir.resolve("plain-file"), "content");

        assertThatThrownBy(() -> OnnxFiles.writeAtomically(MODEL, notADir.resolve("model.onnx")))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("is not a directory");
        assertThat(list(dir)).containsExactly(notADir);
        assertThat(notADir).hasContent("content");
    }

    @Test
    void unwritableDirectoryIsAGraftExceptionAndLeavesNothing() throws IOException {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        Set<PosixFilePermission> before = Files.getPosixFilePermissions(readOnly);
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Assumptions.assumeFalse(Files.isWritable(readOnly), "running as root: permissions are not enforced");

            assertThatThrownBy(() -> OnnxFiles.writeAtomically(MODEL, readOnly.resolve("model.onnx")))
                    .isInstanceOf(GraftException.class)
                    .hasMessageContaining("permission denied");
            assertThat(list(readOnly)).isEmpty();
        } finally {
            Files.setPosixFilePermissions(readOnly, before);
        }
    }

    @Test
    void targetThatIsADirectoryIsAGraftExceptionAndLeavesNoTempFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("model.onnx"));
        Path inside = Files.writeString(target.resolve("keep"), "x");

        assertThatThrownBy(() -> OnnxFiles.writeAtomically(MODEL, target))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("cannot write the ONNX model to ");
        assertThat(list(dir)).containsExactly(target);
        assertThat(list(target)).containsExactly(inside);
    }

    @Test
    void readingSomethingThatIsNotAModelIsAGraftException() throws IOException {
        Path garbage = Files.write(dir.resolve("garbage.onnx"), new byte[] {(byte) 0xff, 0x01, 0x02, 0x7f});

        assertThatThrownBy(() -> OnnxFiles.read(garbage))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("not a valid ONNX file");
        assertThatThrownBy(() -> OnnxFiles.read(dir.resolve("absent.onnx")))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("no such file");
    }

    private static List<Path> list(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
