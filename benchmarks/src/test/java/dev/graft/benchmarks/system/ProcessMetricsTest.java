package dev.graft.benchmarks.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProcessMetricsTest {

    @Test
    void residentMemoryGrowsWithTouchedPagesAndStaysUnderThePeak() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "no /proc here: the metrics answer -1");
        long before = ProcessMetrics.rssBytes();
        // a direct buffer is fresh native memory that the JDK zeroes, so every one of its pages becomes resident
        ByteBuffer touched = ByteBuffer.allocateDirect(64 << 20);
        long after = ProcessMetrics.rssBytes();
        assertThat(before).isPositive();
        assertThat(after - before).isGreaterThan(48L << 20);
        assertThat(ProcessMetrics.peakRssBytes()).isGreaterThanOrEqualTo(after);
        assertThat(touched.capacity()).isEqualTo(64 << 20);
    }
}
