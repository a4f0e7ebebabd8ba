package dev.graft.spark;

import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Scoring from Java in one call: {@code GraftSpark.score(GraftSpark.readImages(spark, "photos/"), Path.of("m.onnx"))}.
 *
 * <p>For settings beyond the defaults (batch size, top-k, device, limits) use {@link ImageScorer} directly; it is the
 * same stage, and fits in a {@code Pipeline}.
 */
public final class GraftSpark {
    private GraftSpark() {
    }

    /**
     * Spark's {@code binaryFile} source over {@code images}: a folder (read recursively) or a glob. Columns
     * {@code path}, {@code modificationTime}, {@code length} and {@code content}; the content is read only for the rows
     * {@link ImageScorer} keeps under its byte cap.
     */
    public static Dataset<Row> readImages(SparkSession spark, String images) {
        boolean glob = images.contains("*") || images.contains("?") || images.contains("[") || images.contains("{");
        return spark.read().format("binaryFile").option("recursiveFileLookup", String.valueOf(!glob)).load(images);
    }

    /**
     * {@code images} with the model's predictions added (see {@link ImageScorer} for the columns); its {@code content}
     * column (binary) is scored, or with no such column a {@code path} column of local file paths.
     */
    public static Dataset<Row> score(Dataset<Row> images, Path model) {
        ImageScorer scorer = new ImageScorer().setModelPath(model.toString());
        if (!images.schema().getFieldIndex("content").isDefined() && images.schema().getFieldIndex("path").isDefined()) {
            scorer.setInputCol("path");
        }
        return scorer.transform(images);
    }
}
