package dev.graft.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScoreImagesTest {
    private static Path images;

    @BeforeAll
    static void setUp() {
        SparkTests.spark();
        images = SparkTests.goodImages(5);
    }

    /** Runs the command with stdout and stderr captured; returns exit code, then stdout, then stderr. */
    private static Object[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = ScoreImages.run(args);
            return new Object[] {code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void anExistingOutIsRefusedAndLeftAsItWas() throws IOException {
        Path out = SparkTests.dir("existing").resolve("predictions.parquet");
        Files.writeString(out, "last night's predictions");
        Object[] r = run("--model", SparkTests.singleLabel().toString(), "--images", images.toString(),
                "--out", out.toString());
        assertThat(r[0]).isEqualTo(1);
        assertThat((String) r[2]).isEqualTo("ScoreImages: error: --out " + out
                + " exists; choose a new path (nothing was written)" + System.lineSeparator());
        assertThat(Files.readString(out)).isEqualTo("last night's predictions");
    }

    @Test
    void badArgumentsGetOneLineErrors() {
        Path none = SparkTests.dir("none");
        Object[] missingModel = run("--model", none.resolve("m.onnx").toString(), "--images", images.toString(),
                "--out", none.resolve("o").toString());
        assertThat(missingModel[0]).isEqualTo(1);
        assertThat((String) missingModel[2]).startsWith("ScoreImages: error: cannot read the model ")
                .endsWith("no such file" + System.lineSeparator());
        Object[] badFormat = run("--model", SparkTests.singleLabel().toString(), "--images", images.toString(),
                "--out", none.resolve("o").toString(), "--format", "xml");
        assertThat(badFormat[0]).isEqualTo(2);
        assertThat(((String) badFormat[2]).lines().count()).isEqualTo(1);
        assertThat(none.resolve("o")).doesNotExist();
    }

    @Test
    void writesOneRowPerFileInTheChosenFormat() throws IOException {
        Path out = SparkTests.dir("out").resolve("predictions.json");
        Object[] r = run("--model", SparkTests.singleLabel().toString(), "--images", images.toString(),
                "--out", out.toString(), "--format", "json", "--batch", "2", "--top", "3");
        assertThat(r[0]).as((String) r[2]).isEqualTo(0);
        assertThat((String) r[1]).contains("scored 5 images, 0 with errors");
        List<Row> rows = SparkTests.spark().read().json(out.toString()).collectAsList();
        assertThat(rows).hasSize(5).allSatisfy(row -> {
            assertThat(row.getList(row.fieldIndex("top_k"))).hasSize(3);
            assertThat(row.schema().fieldNames()).doesNotContain("content");
        });
        Path csv = SparkTests.dir("out").resolve("predictions.csv");
        assertThat(run("--model", SparkTests.singleLabel().toString(), "--images", images + "/*.jpg",
                "--out", csv.toString(), "--format", "csv")[0]).isEqualTo(0);
        try (Stream<Path> parts = Files.list(csv)) {
            assertThat(parts.filter(p -> p.getFileName().toString().endsWith(".csv"))).isNotEmpty();
        }
    }
}
