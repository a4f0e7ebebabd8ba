package dev.graft.spark;

import dev.graft.edge.EdgeException;
import dev.graft.image.ImageDecoder;
import dev.graft.files.InputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML stage that scores a column of images with a Graft ONNX model: encoded bytes (the {@code content} column of
 * Spark's {@code binaryFile} source, the default) or file paths.
 *
 * <p>It adds {@value #LABEL}, {@value #PROBABILITY} and {@value #TOP_K} (single- and multi-label), {@value #LABELS}
 * (multi-label: the classes at or above the model's threshold), {@value #VALUES} (regression), {@value #ERROR} (why a
 * row's image could not be scored; the other columns are then null), {@value #MODEL_SHA256} and {@value #DEVICE} (what
 * ran it, with the reason when a requested GPU was not used). The model's own metadata supplies the input size,
 * normalisation, labels and threshold, so the stage needs only the model's path.
 *
 * <p>The model's bytes are read once on the driver and broadcast: Spark's torrent broadcast fetches them once per
 * executor (from the driver or a peer), whatever the number of tasks, needs no shared file system, and is released
 * with the dataset; {@code SparkFiles} would also ship once, but adds a context-wide file that cannot be replaced under
 * the same name when the model is retrained. On the executor the bytes are read only when the per-JVM
 * {@link ModelCache} does not hold the model yet.
 */
public final class ImageScorer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    public static final String LABEL = "label";
    public static final String PROBABILITY = "probability";
    public static final String TOP_K = "top_k";
    public static final String LABELS = "labels";
    public static final String VALUES = "values";
    public static final String ERROR = "error";
    public static final String MODEL_SHA256 = "model_sha256";
    public static final String DEVICE = "device";

    /** One entry of {@value #TOP_K} and {@value #LABELS}. */
    public static final StructType LABEL_PROBABILITY = new StructType()
            .add(LABEL, DataTypes.StringType, false)
            .add(PROBABILITY, DataTypes.FloatType, false);

    private final String uid;
    private final Param<String> modelPath;
    private final Param<String> modelSha256;
    private final Param<String> inputCol;
    private final Param<String> lengthCol;
    private final IntParam batchSize;
    private final IntParam topK;
    private final Param<String> device;
    private final IntParam intraOpThreads;
    private final LongParam maxImageBytes;
    private final LongParam maxPixels;
    private final Param<String> optimizedModelCache;

    public ImageScorer() {
        this("graftImageScorer_" + UUID.randomUUID().toString().substring(24));
    }

    /** The constructor Spark's readers call with the saved uid. */
    public ImageScorer(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "the Graft ONNX model, a path the driver can read");
        modelSha256 = new Param<>(this, "modelSha256",
                "the model's expected SHA-256 (hex); empty to accept whatever the path holds");
        inputCol = new Param<>(this, "inputCol", "the column of encoded image bytes (binary) or image paths (string)");
        lengthCol = new Param<>(this, "lengthCol", "the column of file sizes, if any (binaryFile's length): files over"
                + " maxImageBytes get an error row without their content being read");
        batchSize = new IntParam(this, "batchSize", "images per run of the graph (>= 1)", ParamValidators.gtEq(1));
        topK = new IntParam(this, "topK", "classes in top_k (>= 1)", ParamValidators.gtEq(1));
        device = new Param<>(this, "device", "auto (the GPU Spark assigned to the task, else the CPU), cpu, cuda or"
                + " cuda:N");
        intraOpThreads = new IntParam(this, "intraOpThreads",
                "ONNX Runtime threads per task; 0 for spark.task.cpus", ParamValidators.gtEq(0));
        maxImageBytes = new LongParam(this, "maxImageBytes", "the largest encoded image accepted, in bytes",
                ParamValidators.inRange(1, InputFiles.MAX_CAP));
        maxPixels = new LongParam(this, "maxPixels", "the largest image accepted, in pixels", ParamValidators.gtEq(1));
        optimizedModelCache = new Param<>(this, "optimizedModelCache", "the folder on each executor where the"
                + " optimised graph is kept; empty for java.io.tmpdir/graft-spark-optimized");
        setDefault(modelSha256, "");
        setDefault(inputCol, "content");
        setDefault(lengthCol, "length");
        setDefault(batchSize, 32);
        setDefault(topK, 5);
        setDefault(device, "auto");
        setDefault(intraOpThreads, 0);
        setDefault(maxImageBytes, InputFiles.DEFAULT_MAX_IMAGE_BYTES);
        setDefault(maxPixels, ImageDecoder.DEFAULT_MAX_PIXELS);
        setDefault(optimizedModelCache, "");
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark finds a stage's params through public no-argument methods returning Param.

    public Param<String> modelPath() {
        return modelPath;
    }

    public Param<String> modelSha256() {
        return modelSha256;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> lengthCol() {
        return lengthCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam topK() {
        return topK;
    }

    public Param<String> device() {
        return device;
    }

    public IntParam intraOpThreads() {
        return intraOpThreads;
    }

    public LongParam maxImageBytes() {
        return maxImageBytes;
    }

    public LongParam maxPixels() {
        return maxPixels;
    }

    public Param<String> optimizedModelCache() {
        return optimizedModelCache;
    }

    public ImageScorer setModelPath(String value) {
        set(modelPath, value);
        return this;
    }

    public ImageScorer setModelSha256(String value) {
        set(modelSha256, value.toLowerCase(Locale.ROOT));
        return this;
    }

    public ImageScorer setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    public ImageScorer setLengthCol(String value) {
        set(lengthCol, value);
        return this;
    }

    public ImageScorer setBatchSize(int value) {
        set(batchSize, value);
        return this;
    }

    public ImageScorer setTopK(int value) {
        set(topK, value);
        return this;
    }

    public ImageScorer setDevice(String value) {
        set(device, value);
        return this;
    }

    public ImageScorer setIntraOpThreads(int value) {
        set(intraOpThreads, value);
        return this;
    }

    public ImageScorer setMaxImageBytes(long value) {
        set(maxImageBytes, value);
        return this;
    }

    public ImageScorer setMaxPixels(long value) {
        set(maxPixels, value);
        return this;
    }

    public ImageScorer setOptimizedModelCache(String value) {
        set(optimizedModelCache, value);
        return this;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String in = getOrDefault(inputCol);
        if (!schema.getFieldIndex(in).isDefined()) {
            throw new IllegalArgumentException("the input column '" + in + "' is not in the data (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        DataType t = schema.apply(in).dataType();
        if (!t.equals(DataTypes.BinaryType) && !t.equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("the input column '" + in + "' is " + t.simpleString()
                    + "; it must hold encoded images (binary) or paths (string)");
        }
        StructType out = schema;
        for (StructField f : outputFields()) {
            if (schema.getFieldIndex(f.name()).isDefined()) {
                throw new IllegalArgumentException("the data already has a column '" + f.name()
                        + "', which this stage writes; rename or drop it first");
            }
            out = out.add(f);
        }
        return out;
    }

    static StructField[] outputFields() {
        DataType entries = DataTypes.createArrayType(LABEL_PROBABILITY, false);
        return new StructField[] {
            DataTypes.createStructField(LABEL, DataTypes.StringType, true),
            DataTypes.createStructField(PROBABILITY, DataTypes.FloatType, true),
            DataTypes.createStructField(TOP_K, entries, true),
            DataTypes.createStructField(LABELS, entries, true),
            DataTypes.createStructField(VALUES, DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField(ERROR, DataTypes.StringType, true),
            DataTypes.createStructField(MODEL_SHA256, DataTypes.StringType, false),
            DataTypes.createStructField(DEVICE, DataTypes.StringType, true),
        };
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema());
        if (!isDefined(modelPath) || getOrDefault(modelPath).isBlank()) {
            throw new IllegalArgumentException("no model: set modelPath to a Graft ONNX model");
        }
        Path model = Path.of(getOrDefault(modelPath));
        byte[] bytes = readModel(model);
        String sha = sha256(bytes);
        String expected = getOrDefault(modelSha256);
        if (!expected.isEmpty() && !expected.equals(sha)) {
            throw new IllegalArgumentException("the model " + model + " has SHA-256 " + sha + ", not the expected "
                    + expected + " (was it replaced since this stage was saved?)");
        }
        Broadcast<byte[]> shipped = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext())
                .broadcast(bytes);

        String in = getOrDefault(inputCol);
        String len = getOrDefault(lengthCol);
        long cap = (Long) getOrDefault(maxImageBytes);
        Dataset<Row> rows = dataset.toDF();
        int lengthIndex = -1;
        if (dataset.schema().apply(in).dataType().equals(DataTypes.BinaryType) && !len.isEmpty()
                && dataset.schema().getFieldIndex(len).isDefined()
                && dataset.schema().apply(len).dataType().equals(DataTypes.LongType)) {
            // binaryFile reads a file's content only when the content column is wanted: rows over the cap go on
            // without it, so one huge file is refused by its size, never loaded into an executor's memory.
            rows = rows.filter(functions.col(len).isNull().or(functions.col(len).leq(cap)))
                    .union(rows.filter(functions.col(len).gt(cap))
                            .withColumn(in, functions.lit(null).cast(DataTypes.BinaryType)));
            lengthIndex = dataset.schema().fieldIndex(len);
        }
        String cacheDir = getOrDefault(optimizedModelCache);
        if (cacheDir.isEmpty()) {
            cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "graft-spark-optimized").toString();
        }
        PartitionScorer.Settings settings = new PartitionScorer.Settings(sha, dataset.schema().fieldIndex(in),
                lengthIndex, (Integer) getOrDefault(batchSize), (Integer) getOrDefault(topK), getOrDefault(device),
                (Integer) getOrDefault(intraOpThreads), cap, (Long) getOrDefault(maxPixels), cacheDir);
        return rows.mapPartitions(new PartitionScorer(settings, shipped), Encoders.row(outSchema));
    }

    private static byte[] readModel(Path model) {
        try {
            if (Files.isDirectory(model)) {
                throw new IllegalArgumentException("the model " + model + " is a folder, not an ONNX file");
            }
            byte[] bytes = InputFiles.readAllBytes(model, InputFiles.MAX_CAP, null);
            if (bytes.length == 0) {
                throw new IllegalArgumentException("the model " + model + " is empty (0 bytes), not an ONNX model");
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cannot read the model " + model + ": no such file", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the model " + model + ": " + InputFiles.reason(e), e);
        }
    }

    /** The hex SHA-256 of {@code bytes}, as the output's {@value #MODEL_SHA256} column and the cache key give it. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new EdgeException("every JDK has SHA-256", e);
        }
    }

    @Override
    public ImageScorer copy(ParamMap extra) {
        return (ImageScorer) defaultCopy(extra);
    }

    /** Spark's {@code Pipeline.load} and {@code ImageScorer.load} find the reader here. */
    public static MLReader<ImageScorer> read() {
        return new DefaultParamsReader<>();
    }

    public static ImageScorer load(String path) {
        return read().load(path);
    }

    @Override
    public String toString() {
        return "ImageScorer[" + uid + ", " + (isDefined(modelPath) ? getOrDefault(modelPath) : "no model") + "]";
    }
}
