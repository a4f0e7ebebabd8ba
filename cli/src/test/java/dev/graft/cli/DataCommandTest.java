package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.trainer.data.ImageDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {

    @Test
    void synthWritesAFolderDatasetThatLoadsLikeARealOne(@TempDir Path dir) {
        Path out = dir.resolve("shapes");
        var r = SummaryCommandTest.graft("data", "synth", "--out", out.toString(), "--classes", "3", "--size", "32",
            "--per-class", "10", "--seed", "4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("single_label", "circle, square, triangle");
        ImageDataset ds = ImageDataset.fromFolders(out);
        assertThat(ds.classes()).containsExactly("circle", "square", "triangle");
        assertThat(ds.train().size() + ds.valid().size()).isEqualTo(30);
        assertThat(Files.isDirectory(out.resolve("train").resolve("circle"))).isTrue();
    }

    @Test
    void multiLabelWritesACsv(@TempDir Path dir) {
        var r = SummaryCommandTest.graft("data", "synth", "--out", dir.toString(), "--classes", "4", "--size", "32",
            "--per-class", "5", "--multi-label");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.isRegularFile(dir.resolve("labels.csv"))).isTrue();
        assertThat(r.out()).contains("multi_label");
    }

    @Test
    void badValuesAreOneLine(@TempDir Path dir) {
        var r = SummaryCommandTest.graft("data", "synth", "--out", dir.toString(), "--classes", "1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("graft: ").contains("2 to 8 classes").doesNotContain("Exception");
    }
}
