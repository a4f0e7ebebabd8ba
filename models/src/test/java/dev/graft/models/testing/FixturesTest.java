package dev.graft.models.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/** A missing fixture skips a developer's test and fails a CI run; a present one is simply returned. */
class FixturesTest {
    @Test
    void missingSkipsLocallyAndFailsInCi(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("golden").resolve("nope.bin");
        assertThatThrownBy(() -> Fixtures.require(missing, false)).isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("test fixture missing: " + missing);
        assertThatThrownBy(() -> Fixtures.require(missing, true)).isInstanceOf(AssertionError.class)
                .isNotInstanceOf(TestAbortedException.class)
                .hasMessageContaining("test fixture missing: " + missing).hasMessageContaining("CI=true");
        Files.createDirectories(missing);
        assertThatThrownBy(() -> Fixtures.require(missing, true)).as("a folder is not a fixture file")
                .isInstanceOf(AssertionError.class);
        Path present = Files.writeString(dir.resolve("here.bin"), "x");
        assertThat(Fixtures.require(present, true)).isEqualTo(present);
        assertThat(Fixtures.require(present, false)).isEqualTo(present);
    }
}
