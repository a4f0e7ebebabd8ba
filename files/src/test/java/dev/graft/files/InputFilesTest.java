package dev.graft.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real special files ({@code /dev/zero}, {@code /dev/urandom}, a FIFO) and real sparse files over the cap. */
class InputFilesTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void refusesEndlessDevicesBeforeReading() {
        for (String device : new String[] {"/dev/zero", "/dev/urandom"}) {
            assumeTrue(Files.exists(Path.of(device)), device + " is missing here");
            assertThatThrownBy(() -> InputFiles.readAllBytes(Path.of(device), InputFiles.DEFAULT_MAX_IMAGE_BYTES,
                    "--max-image-bytes"))
                    .isInstanceOf(FileRefusedException.class)
                    .hasMessage(device + " is a character device, not a regular file; only regular files are read");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void refusesAFifoWithoutOpeningIt() throws Exception {
        Path fifo = dir.resolve("image.png");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed: FIFO case not run");
        // opening a FIFO with no writer blocks forever: the timeout fails the test if it is opened
        assertThatThrownBy(() -> InputFiles.readAllBytes(fifo, 1000, null))
                .isInstanceOf(FileRefusedException.class)
                .hasMessage(fifo + " is a FIFO (named pipe), not a regular file; only regular files are read");
        // through a symbolic link too
        Path link = Files.createSymbolicLink(dir.resolve("link.png"), fifo);
        assertThatThrownBy(() -> InputFiles.readAllBytes(link, 1000, null))
                .hasMessageContaining("is a FIFO (named pipe)");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void refusesASparseFileJustOverTheDefaultCapFromItsSize() throws IOException {
        Path big = dir.resolve("huge.png");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(InputFiles.DEFAULT_MAX_IMAGE_BYTES + 1);
        }
        long start = System.nanoTime();
        assertThatThrownBy(() -> InputFiles.readAllBytes(big, InputFiles.DEFAULT_MAX_IMAGE_BYTES, "--max-image-bytes"))
                .isInstanceOf(FileRefusedException.class)
                .hasMessage(big + " is 64.0 MiB (67108865 bytes), over the limit of 64 MiB (raise it with"
                        + " --max-image-bytes)");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void readsUpToTheCapExactlyAndRefusesOneByteMore() throws IOException {
        Path file = dir.resolve("small.png");
        byte[] data = new byte[1000];
        data[999] = 7;
        Files.write(file, data);
        assertThat(InputFiles.readAllBytes(file, 1000, null)).isEqualTo(data);
        assertThatThrownBy(() -> InputFiles.readAllBytes(file, 999, "--max-image-bytes"))
                .isInstanceOf(FileRefusedException.class)
                .hasMessage(file + " is 1000 bytes, over the limit of 999 bytes (raise it with --max-image-bytes)");
        assertThat(InputFiles.checkRegular(file, 1000, null)).isEqualTo(1000);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void aStreamIsReadOnlyToOneBytePastTheCap() throws IOException {
        assumeTrue(Files.exists(Path.of("/dev/zero")), "/dev/zero is missing here");
        try (InputStream endless = Files.newInputStream(Path.of("/dev/zero"))) {
            assertThatThrownBy(() -> InputFiles.readAllBytes(endless, 1 << 20, "the request body", null))
                    .isInstanceOf(FileRefusedException.class)
                    .hasMessage("the request body is more than 1 MiB, over the limit of 1 MiB");
        }
        try (InputStream in = new java.io.ByteArrayInputStream(new byte[10])) {
            assertThat(InputFiles.readAllBytes(in, 10, "body", null)).hasSize(10);
        }
    }

    @Test
    void refusesFoldersAndReportsMissingFiles() throws IOException {
        assertThatThrownBy(() -> InputFiles.readAllBytes(dir, 1000, null))
                .isInstanceOf(FileRefusedException.class).hasMessage(dir + " is a directory, not a file");
        assertThatThrownBy(() -> InputFiles.readAllBytes(dir.resolve("missing.png"), 1000, null))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void parsesSizesAsUsersTypeThem() {
        assertThat(InputFiles.parseSize("64MB")).isEqualTo(64L << 20);
        assertThat(InputFiles.parseSize("512kb")).isEqualTo(512L << 10);
        assertThat(InputFiles.parseSize("1 GiB")).isEqualTo(1L << 30);
        assertThat(InputFiles.parseSize("1G")).isEqualTo(1L << 30);
        assertThat(InputFiles.parseSize("1048576")).isEqualTo(1L << 20);
        assertThat(InputFiles.parseSize("10B")).isEqualTo(10);
        for (String bad : new String[] {"", "0", "-5MB", "3GB", "lots", "1.5MB"}) {
            assertThatThrownBy(() -> InputFiles.parseSize(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(InputFiles.describeBytes(64L << 20)).isEqualTo("64 MiB");
        assertThat(InputFiles.describeBytes(1)).isEqualTo("1 byte");
    }
}
