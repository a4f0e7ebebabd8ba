package dev.graft.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.edge.EdgeModel;
import dev.graft.edge.LabelScore;
import dev.graft.edge.Prediction;
import dev.graft.models.checkpoint.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ImageScorerTest {
    private static SparkSession spark;
    private static Path images;

    @BeforeAll
    static void setUp() {
        spark = SparkTests.spark();
        images = SparkTests.goodImages(12);
    }

    private static Map<String, Row> byPath(Dataset<Row> scored) {
        Map<String, Row> out = new HashMap<>();
        for (Row r : scored.drop("content").collectAsList()) {
            out.put(r.getAs("path"), r);
        }
        return out;
    }

    private static List<String> labels(List<Row> entries) {
        return entries.stream().map(e -> e.<String>getAs("label")).collect(Collectors.toList());
    }

    private static float[] probabilities(List<Row> entries) {
        float[] out = new float[entries.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = entries.get(i).<Float>getAs("probability");
        }
        return out;
    }

    private static float[] scores(List<LabelScore> entries) {
        float[] out = new float[entries.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = entries.get(i).score();
        }
        return out;
    }

    private static void assertMatches(Path model, int batch, boolean exact) {
        Dataset<Row> scored = new ImageScorer().setModelPath(model.toString()).setBatchSize(batch)
                .transform(GraftSpark.readImages(spark, images.toString()));
        Map<String, Row> rows = byPath(scored);
        assertThat(rows).hasSize(12);
        try (EdgeModel reference = SparkTests.reference(model)) {
            for (Row r : rows.values()) {
                Prediction p = reference.predict(SparkTests.local(r.getAs("path")));
                assertThat(r.<String>getAs("error")).isNull();
                assertThat(r.<String>getAs("device")).isEqualTo("cpu");
                assertThat(r.<String>getAs("model_sha256")).hasSize(64);
                List<Row> topK = r.getList(r.fieldIndex("top_k"));
                assertThat(labels(topK)).isEqualTo(p.top(5).stream().map(LabelScore::label).toList());
                assertThat(r.<String>getAs("label")).isEqualTo(p.best().label());
                if (exact) {
                    assertThat(probabilities(topK)).containsExactly(scores(p.top(5)));
                    assertThat(r.<Float>getAs("probability")).isEqualTo(p.best().score());
                } else {
                    assertThat(probabilities(topK)).containsExactly(scores(p.top(5)), within(1e-6f));
                }
            }
        }
    }

    @Test
    void everyImageScoresExactlyAsRuntimeEdgeAtBatchOne() {
        assertMatches(SparkTests.singleLabel(), 1, true);
    }

    @Test
    void largerBatchesAgreeWithinOneMillionthAndKeepTheTopK() {
        assertMatches(SparkTests.singleLabel(), 5, false);
    }

    @Test
    void multiLabelAndRegressionFillTheirOwnColumns() {
        Path multi = SparkTests.model("multi", Task.MULTI_LABEL, 3, 11);
        Map<String, Row> rows = byPath(GraftSpark.score(GraftSpark.readImages(spark, images.toString()), multi));
        try (EdgeModel reference = SparkTests.reference(multi)) {
            for (Row r : rows.values()) {
                Prediction p = reference.predict(SparkTests.local(r.getAs("path")));
                List<Row> above = r.getList(r.fieldIndex("labels"));
                assertThat(labels(above)).isEqualTo(p.answer().stream().map(LabelScore::label).toList());
                assertThat(probabilities(above)).containsExactly(scores(p.answer()), within(1e-6f));
                assertThat(r.<Object>getAs("values")).isNull();
            }
        }
        Path regression = SparkTests.model("regression", Task.REGRESSION, 2, 12);
        rows = byPath(GraftSpark.score(GraftSpark.readImages(spark, images.toString()), regression));
        try (EdgeModel reference = SparkTests.reference(regression)) {
            for (Row r : rows.values()) {
                float[] expected = reference.predict(SparkTests.local(r.getAs("path"))).scores();
                List<Float> values = r.getList(r.fieldIndex("values"));
                assertThat(values).hasSize(2);
                for (int i = 0; i < 2; i++) {
                    assertThat(values.get(i)).isCloseTo(expected[i], within(1e-6f));
                }
                assertThat(r.<Object>getAs("label")).isNull();
                assertThat(r.<Object>getAs("top_k")).isNull();
            }
        }
    }

    @Test
    void aColumnOfPathsIsScoredLikeTheBytes() {
        Dataset<Row> paths = GraftSpark.readImages(spark, images.toString()).select("path");
        Map<String, Row> rows = byPath(GraftSpark.score(paths, SparkTests.singleLabel()));
        try (EdgeModel reference = SparkTests.reference(SparkTests.singleLabel())) {
            for (Row r : rows.values()) {
                assertThat(r.<String>getAs("error")).isNull();
                assertThat(r.<String>getAs("label"))
                        .isEqualTo(reference.predict(SparkTests.local(r.getAs("path"))).best().label());
            }
        }
    }

    @Test
    void badImagesGetErrorRowsWhileTheRestAreScored() throws IOException {
        Path d = SparkTests.dir("bad");
        byte[] jpeg = SparkTests.encode(SparkTests.picture(64, 48, 1), "jpg");
        Files.write(d.resolve("good.jpg"), jpeg);
        Files.write(d.resolve("empty.jpg"), new byte[0]);
        Files.write(d.resolve("truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(d.resolve("notes.jpg"), "not an image at all\n");
        Files.write(d.resolve("huge.jpg"), SparkTests.encode(SparkTests.picture(300, 300, 2), "jpg"));
        byte[] big = new byte[200_000];
        new java.util.Random(3).nextBytes(big);
        Files.write(d.resolve("big.jpg"), big);
        // the same model already open in this JVM with the default limits must not serve these lower ones
        assertThat(GraftSpark.score(GraftSpark.readImages(spark, d.toString()), SparkTests.singleLabel())
                .filter(functions.col("error").isNull()).count()).isEqualTo(2);
        ImageScorer scorer = new ImageScorer().setModelPath(SparkTests.singleLabel().toString())
                .setMaxPixels(50_000).setMaxImageBytes(150_000).setBatchSize(4);
        Dataset<Row> files = GraftSpark.readImages(spark, d.toString());
        // Spark's file sources skip zero-byte files: binaryFile gives empty.jpg no row; its path is still scored
        assertThat(files.count()).isEqualTo(5);
        Dataset<Row> scored = scorer.transform(files);
        Map<String, String> errors = new HashMap<>();
        for (Row r : scored.drop("content").collectAsList()) {
            errors.put(SparkTests.local(r.getAs("path")).getFileName().toString(), r.getAs("error"));
        }
        assertThat(errors).hasSize(5);
        Dataset<Row> paths = spark.createDataset(List.of(d.resolve("empty.jpg").toString(),
                d.resolve("big.jpg").toString(), d.resolve("good.jpg").toString()), Encoders.STRING()).toDF("path");
        List<Row> byPath = scorer.setInputCol("path").transform(paths).collectAsList();
        assertThat(byPath).extracting(r -> r.<String>getAs("error")).satisfiesExactlyInAnyOrder(
                e -> assertThat(e).contains("empty"),
                e -> assertThat(e).contains("over the limit of"),
                e -> assertThat(e).isNull());
        assertThat(errors.get("good.jpg")).isNull();
        assertThat(errors.get("truncated.jpg")).isNotBlank();
        assertThat(errors.get("notes.jpg")).isNotBlank();
        assertThat(errors.get("huge.jpg")).contains("pixels");
        assertThat(errors.get("big.jpg")).contains("over the limit of");
        errors.values().stream().filter(e -> e != null).forEach(e -> assertThat(e).doesNotContain("\n"));
        Row good = scored.filter(functions.col("error").isNull()).drop("content").first();
        assertThat(good.<String>getAs("label")).isNotNull();
    }

    @Test
    void emptyPartitionsAndFiftyPartitionsWork() {
        Dataset<Row> files = GraftSpark.readImages(spark, images.toString());
        ImageScorer scorer = new ImageScorer().setModelPath(SparkTests.singleLabel().toString()).setBatchSize(3);
        Dataset<Row> fifty = scorer.transform(files.repartition(50));
        assertThat(fifty.javaRDD().getNumPartitions()).isEqualTo(50);
        assertThat(fifty.filter(functions.col("error").isNull()).count()).isEqualTo(12);
        assertThat(scorer.transform(files.filter(functions.lit(false))).count()).isZero();
    }

    @Test
    void theModelIsOpenedOncePerJvmAndAnUnusedOneIsClosedForTheNext() throws IOException {
        ModelCache.closeIdle();
        long opened = ModelCache.opened();
        long closed = ModelCache.closed();
        Dataset<Row> files = GraftSpark.readImages(spark, images.toString());
        Path first = SparkTests.singleLabel();
        for (int job = 0; job < 2; job++) {
            assertThat(GraftSpark.score(files, first).filter(functions.col("error").isNull()).count()).isEqualTo(12);
        }
        assertThat(ModelCache.opened() - opened).isEqualTo(1);
        assertThat(ModelCache.closed() - closed).isZero();
        Path second = SparkTests.model("second", Task.SINGLE_LABEL, 7, 99);
        Dataset<Row> scored = GraftSpark.score(files, second);
        assertThat(scored.filter(functions.col("error").isNull()).count()).isEqualTo(12);
        assertThat(scored.select("model_sha256").distinct().collectAsList()).extracting(r -> r.getString(0))
                .containsExactly(ImageScorer.sha256(Files.readAllBytes(second)))
                .doesNotContain(ImageScorer.sha256(Files.readAllBytes(first)));
        assertThat(ModelCache.opened() - opened).isEqualTo(2);
        assertThat(ModelCache.closed() - closed).isEqualTo(1);
        assertThat(ModelCache.openNow()).isEqualTo(1);
    }

    @Test
    void roundTripsThroughSaveAndLoadInsideAPipeline() throws IOException {
        ImageScorer scorer = new ImageScorer().setModelPath(SparkTests.singleLabel().toString()).setBatchSize(4)
                .setTopK(2);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {scorer});
        Path saved = SparkTests.dir("pipeline").resolve("p");
        pipeline.save(saved.toString());
        Pipeline loaded = Pipeline.load(saved.toString());
        ImageScorer back = (ImageScorer) loaded.getStages()[0];
        assertThat(back.uid()).isEqualTo(scorer.uid());
        assertThat(back.getOrDefault(back.modelPath())).isEqualTo(SparkTests.singleLabel().toString());
        assertThat(back.getOrDefault(back.topK())).isEqualTo(2);
        assertThat(back.getOrDefault(back.batchSize())).isEqualTo(4);

        Dataset<Row> files = GraftSpark.readImages(spark, images.toString());
        PipelineModel fitted = loaded.fit(files);
        Path savedModel = SparkTests.dir("pipeline-model").resolve("m");
        fitted.save(savedModel.toString());
        Map<String, Row> before = byPath(fitted.transform(files));
        Map<String, Row> after = byPath(PipelineModel.load(savedModel.toString()).transform(files));
        assertThat(after.keySet()).isEqualTo(before.keySet());
        for (String path : before.keySet()) {
            assertThat(after.get(path).getList(after.get(path).fieldIndex("top_k"))).hasSize(2)
                    .isEqualTo(before.get(path).getList(before.get(path).fieldIndex("top_k")));
        }
    }

    @Test
    void aReplacedModelIsRefusedWhenItsShaWasPinned() throws IOException {
        Path copy = SparkTests.dir("pinned").resolve("m.onnx");
        Files.copy(SparkTests.singleLabel(), copy);
        ImageScorer scorer = new ImageScorer().setModelPath(copy.toString())
                .setModelSha256("00".repeat(32));
        Dataset<Row> files = GraftSpark.readImages(spark, images.toString());
        assertThatThrownBy(() -> scorer.transform(files)).hasMessageContaining("not the expected");
        assertThatThrownBy(() -> new ImageScorer().setModelPath(copy.resolveSibling("missing.onnx").toString())
                .transform(files)).hasMessage("cannot read the model " + copy.resolveSibling("missing.onnx")
                        + ": no such file");
    }
}
