package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.image.testing.TestImages;
import dev.graft.files.InputFiles;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte limit on encoded images, for files and byte arrays alike, and the refusal of files that never end: real
 * {@code /dev/zero}, {@code /dev/urandom}, a FIFO and a sparse file just over the limit.
 */
class ImageByteLimitTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void endlessFilesAreRefusedBeforeReadingAndTheModelKeepsServing() throws Exception {
        Path fifo = dir.resolve("camera.jpg");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed: FIFO case not run");
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
            float[] expected = model.predict(TestImages.picture(70, 50, 4)).scores();
            for (String device : new String[] {"/dev/zero", "/dev/urandom"}) {
                assertThatThrownBy(() -> model.predict(Path.of(device))).isExactlyInstanceOf(BadInputException.class)
                        .hasMessage(device + " is a character device, not a regular file; only regular files are read");
            }
            assertThatThrownBy(() -> model.predict(fifo)).isExactlyInstanceOf(BadInputException.class)
                    .hasMessage(fifo + " is a FIFO (named pipe), not a regular file; only regular files are read");
            assertThat(model.predict(TestImages.picture(70, 50, 4)).scores()).containsExactly(expected);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSparseFileJustOverTheDefaultLimitIsRefusedFromItsSize() throws Exception {
        Path big = dir.resolve("huge.jpg");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(InputFiles.DEFAULT_MAX_IMAGE_BYTES + 1);
        }
        assertThat(EdgeOptions.defaults().maxImageBytes()).isEqualTo(64L << 20);
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
            assertThatThrownBy(() -> model.predict(big)).isInstanceOf(ImageTooLargeException.class)
                    .hasMessage(big + " is 64.0 MiB (67108865 bytes), over the limit of 64 MiB")
                    .satisfies(e -> assertThat(((ImageTooLargeException) e).maxBytes()).isEqualTo(64L << 20));
        }
    }

    @Test
    void theLimitIsAnOptionForBytesAndFilesAlike() throws Exception {
        byte[] png = TestImages.encode(TestImages.picture(70, 50, 4), "png");
        Path file = Files.write(dir.resolve("picture.png"), png);
        EdgeOptions exact = EdgeOptions.builder().optDevice("cpu").optMaxImageBytes(png.length).build();
        EdgeOptions under = EdgeOptions.builder().optDevice("cpu").optMaxImageBytes(png.length - 1).build();
        assertThat(under.toString()).contains("maxImageBytes=" + (png.length - 1));
        float[] expected;
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), exact)) {
            expected = model.predict(png).scores();
            assertThat(model.predict(file).scores()).containsExactly(expected);
        }
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), under)) {
            assertThatThrownBy(() -> model.predict(png)).isInstanceOf(ImageTooLargeException.class)
                    .hasMessage("the image is " + InputFiles.describeBytes(png.length) + ", over the limit of "
                            + InputFiles.describeBytes(png.length - 1));
            assertThatThrownBy(() -> model.predict(file)).isInstanceOf(ImageTooLargeException.class)
                    .hasMessage(file + " is " + InputFiles.describeBytes(png.length) + ", over the limit of "
                            + InputFiles.describeBytes(png.length - 1));
            assertThatThrownBy(() -> model.predictBatch(java.util.List.of(EdgeInput.of(png))))
                    .isInstanceOf(BadInputException.class).hasMessageContaining("over the limit of");
            assertThat(model.predict(TestImages.picture(70, 50, 4)).scores()).containsExactly(expected);
        }
        assertThatThrownBy(() -> EdgeOptions.builder().optMaxImageBytes(0)).isInstanceOf(EdgeException.class)
                .hasMessage("the image byte limit must be from 1 to 2147483639, not 0");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aModelThatIsADeviceIsRefused() {
        assumeTrue(Files.exists(Path.of("/dev/zero")), "/dev/zero is missing here");
        assertThatThrownBy(() -> EdgeModel.load(Path.of("/dev/zero"), TestModels.cpu()))
                .isInstanceOf(EdgeException.class)
                .hasMessage("cannot read the model /dev/zero: it is a character device, not a regular file");
        assertThatThrownBy(() -> EdgeModel.load(dir, TestModels.cpu()))
                .hasMessage("cannot read the model " + dir + ": it is a directory, not a regular file");
    }
}
