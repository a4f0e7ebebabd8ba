package dev.graft.spark;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code spark-submit} entry: scores a folder (or glob) of images with a Graft ONNX model and writes one row per
 * file.
 *
 * <pre>
 * spark-submit --class dev.graft.spark.ScoreImages graft-spark-all.jar \
 *     --model model.onnx --images photos/ --out predictions.parquet [--format parquet|csv|json] [--batch 32] [--top 5]
 * </pre>
 *
 * <p>An existing {@code --out} is refused before Spark starts (when it is a local path) and again by the writer, so a
 * previous night's predictions are never replaced or mixed with new ones.
 */
@Command(name = "ScoreImages", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Scores image files with a Graft ONNX model on Spark; one output row per file.")
public final class ScoreImages implements Callable<Integer> {
    enum Format {
        parquet,
        csv,
        json
    }

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "the Graft ONNX model")
    Path model;

    @Option(names = "--images", required = true, paramLabel = "DIR|GLOB",
            description = "a folder (read recursively) or a glob, in any file system Spark reads")
    String images;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "where to write; must not exist")
    String out;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "parquet",
            description = "parquet, csv or json (default ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32", description = "images per run of the graph")
    int batch;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "classes in top_k")
    int top;

    @Option(names = "--max-image-bytes", paramLabel = "BYTES", description = "the largest image file scored;"
            + " larger ones get an error row (default 64 MiB)")
    Long maxImageBytes;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
            description = "auto (the GPU Spark assigned, else the CPU), cpu, cuda or cuda:N")
    String device;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not run by spark-submit"
            + " (default local[*])")
    String master;

    @Option(names = "--verbose", description = "print the stack trace of an error")
    boolean verbose;

    /** Runs the command; returns the exit code instead of exiting, for tests. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new ScoreImages());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            String m = e.getMessage();
            String oneLine = m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ").trim();
            if (((ScoreImages) line.getCommand()).verbose) {
                e.printStackTrace(line.getErr());
            }
            line.getErr().println("ScoreImages: error: " + oneLine);
            return 1;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("ScoreImages: error: " + e.getMessage().replaceAll("\\s+", " ").trim()
                    + " (see --help)");
            return 2;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    @Override
    public Integer call() {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, not " + batch);
        }
        if (top < 1) {
            throw new IllegalArgumentException("--top must be at least 1, not " + top);
        }
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("cannot read the model " + model + ": "
                    + (Files.exists(model) ? "not a regular file" : "no such file"));
        }
        if (!out.contains(":") && Files.exists(Path.of(out))) {
            throw new IllegalArgumentException("--out " + out + " exists; choose a new path (nothing was written)");
        }
        SparkSession.Builder builder = SparkSession.builder().appName("graft ScoreImages");
        if (master != null) {
            builder.master(master);
        } else if (System.getProperty("spark.master") == null) {
            builder.master("local[*]");
        }
        // Inside an application that already runs Spark (or a test), the session is borrowed and left running.
        boolean own = SparkSession.getDefaultSession().isEmpty() && SparkSession.getActiveSession().isEmpty();
        SparkSession spark = builder.getOrCreate();
        try {
            Configuration hadoop = spark.sparkContext().hadoopConfiguration();
            org.apache.hadoop.fs.Path outPath = new org.apache.hadoop.fs.Path(out);
            FileSystem fs = outPath.getFileSystem(hadoop);
            if (fs.exists(outPath)) {
                throw new IllegalArgumentException("--out " + out + " exists; choose a new path (nothing was written)");
            }
            ImageScorer scorer = new ImageScorer().setModelPath(model.toString()).setBatchSize(batch).setTopK(top)
                    .setDevice(device);
            if (maxImageBytes != null) {
                scorer.setMaxImageBytes(maxImageBytes);
            }
            Dataset<Row> scored = scorer.transform(GraftSpark.readImages(spark, images))
                    .drop("content");
            if (format == Format.csv) {
                // CSV has no arrays or structs: the nested columns are written as JSON text
                scored = scored.withColumn(ImageScorer.TOP_K, json(ImageScorer.TOP_K))
                        .withColumn(ImageScorer.LABELS, json(ImageScorer.LABELS))
                        .withColumn(ImageScorer.VALUES, json(ImageScorer.VALUES));
            }
            scored.write().mode(SaveMode.ErrorIfExists).format(format.name().toLowerCase(Locale.ROOT))
                    .option("header", "true").save(out);
            // the written rows, read with the schema they were written with (JSON leaves null fields out)
            Dataset<Row> written = spark.read().schema(scored.schema()).format(format.name())
                    .option("header", "true").load(out);
            long rows = written.count();
            long errors = written.filter(functions.col(ImageScorer.ERROR).isNotNull()).count();
            System.out.println("scored " + (rows - errors) + " images, " + errors + " with errors; wrote " + out);
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (own) {
                ModelCache.closeIdle();
                spark.stop();
            }
        }
    }

    private static Column json(String column) {
        return functions.when(functions.col(column).isNull(), functions.lit(null))
                .otherwise(functions.to_json(functions.col(column)));
    }
}
