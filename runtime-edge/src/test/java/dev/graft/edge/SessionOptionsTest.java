package dev.graft.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Threads, optimisation levels and the optimised-model cache change speed, never answers. */
class SessionOptionsTest {
    private static float[] input() {
        return TestModels.goldenFloats("resnet18_c3_64_softmax.input.bin");
    }

    @Test
    void everyOptimisationLevelAndThreadCountGivesTheSameOutputs() {
        float[] expected;
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), TestModels.cpu())) {
            expected = model.runTensor(input(), 4);
        }
        for (EdgeOptions.Optimization level : EdgeOptions.Optimization.values()) {
            EdgeOptions o = EdgeOptions.builder().optDevice("cpu").optOptimization(level).optIntraOpThreads(1).build();
            try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), o)) {
                assertThat(TestModels.maxAbsDiff(model.runTensor(input(), 4), expected)).as(level.name())
                        .isLessThanOrEqualTo(1e-5);
            }
        }
    }

    @Test
    void theOptimisedModelIsCachedAndReused(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("cache");
        EdgeOptions o = EdgeOptions.builder().optDevice("cpu").optOptimizedModelCache(cache).build();
        float[] first;
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), o)) {
            first = model.runTensor(input(), 4);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(cache)) {
            files = s.toList();
        }
        assertThat(files).singleElement().satisfies(f -> assertThat(f.getFileName().toString())
                .matches("[0-9a-f]{32}-all-cpu-ort[0-9.]+\\.onnx"));
        Path cached = files.get(0);
        FileTime written = Files.getLastModifiedTime(cached);
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), o)) {
            assertThat(TestModels.maxAbsDiff(model.runTensor(input(), 4), first)).isLessThanOrEqualTo(1e-6);
            assertThat(model.labels()).containsExactly("cat", "dog", "fish");
            assertThat(model.metadata().assumptions()).isEmpty();
        }
        assertThat(Files.getLastModifiedTime(cached)).isEqualTo(written);
        // a damaged cache entry is rebuilt, not trusted; the temporary a killed rebuild left is cleaned up with it
        Files.write(cached, new byte[] {1, 2, 3});
        Path leftover = Files.write(cache.resolve("." + cached.getFileName() + ".3f2a1b.tmp"), new byte[1000]);
        Files.setLastModifiedTime(leftover, FileTime.from(java.time.Instant.now().minusSeconds(120)));
        try (EdgeModel model = EdgeModel.load(TestModels.goldenSoftmax(), o)) {
            assertThat(TestModels.maxAbsDiff(model.runTensor(input(), 4), first)).isLessThanOrEqualTo(1e-6);
        }
        assertThat(Files.size(cached)).isGreaterThan(1000);
        try (Stream<Path> s = Files.list(cache)) {
            assertThat(s.toList()).as("no temporary files left").hasSize(1);
        }
    }
}
