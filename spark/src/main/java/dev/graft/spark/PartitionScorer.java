package dev.graft.spark;

import dev.graft.edge.BadInputException;
import dev.graft.edge.EdgeException;
import dev.graft.edge.EdgeInput;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.edge.LabelScore;
import dev.graft.edge.NonFiniteOutputException;
import dev.graft.edge.Prediction;
import dev.graft.files.FileRefusedException;
import dev.graft.files.InputFiles;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Scores one partition: rows are read in batches, each image is decoded and preprocessed on its own (so that one bad
 * image costs only its own row), and the good ones of a batch go through the graph together.
 */
final class PartitionScorer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /** What a task needs to know, without the stage itself (whose params are not meant to travel). */
    record Settings(String sha256, int inputIndex, int lengthIndex, int batchSize, int topK, String device,
            int intraOpThreads, long maxImageBytes, long maxPixels, String optimizedModelCache) implements Serializable {
    }

    private final Settings settings;
    private final Broadcast<byte[]> model;

    PartitionScorer(Settings settings, Broadcast<byte[]> model) {
        this.settings = settings;
        this.model = model;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return new Iterator<>() {
            private final List<Row> out = new ArrayList<>();
            private int next;
            private ModelCache.Lease lease;
            private String device;

            @Override
            public boolean hasNext() {
                if (next < out.size()) {
                    return true;
                }
                out.clear();
                next = 0;
                if (!rows.hasNext()) {
                    release();
                    return false;
                }
                List<Row> batch = new ArrayList<>(settings.batchSize());
                while (batch.size() < settings.batchSize() && rows.hasNext()) {
                    batch.add(rows.next());
                }
                if (lease == null) {
                    open();
                }
                score(lease.model(), batch, out);
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return out.get(next++);
            }

            /** Opened on the first row, so that an empty partition never touches the model. */
            private void open() {
                TaskContext task = TaskContext.get();
                int threads = settings.intraOpThreads() > 0 ? settings.intraOpThreads()
                        : task != null ? Math.max(1, task.cpus()) : 1;
                String dev = device(settings.device(), task);
                EdgeOptions options = EdgeOptions.builder().optDevice(dev).optIntraOpThreads(threads)
                        .optTopK(settings.topK()).optMaxImageBytes(settings.maxImageBytes())
                        .optMaxPixels(settings.maxPixels())
                        .optOptimizedModelCache(Path.of(settings.optimizedModelCache())).build();
                ModelCache.Key key = new ModelCache.Key(settings.sha256(), dev, threads,
                        settings.optimizedModelCache(), settings.maxPixels(), settings.maxImageBytes());
                lease = ModelCache.acquire(key, options, model::value);
                if (task != null) {
                    // also when the task fails or a limit() stops reading early
                    task.addTaskCompletionListener((TaskCompletionListener) ctx -> release());
                }
                EdgeModel m = lease.model();
                device = m.device() + m.deviceNote().map(n -> " (" + n + ")").orElse("");
            }

            private void release() {
                if (lease != null) {
                    lease.close();
                }
            }

            private void score(EdgeModel m, List<Row> batch, List<Row> sink) {
                int n = batch.size();
                String[] errors = new String[n];
                List<EdgeInput> tensors = new ArrayList<>(n);
                int[] at = new int[n];
                for (int i = 0; i < n; i++) {
                    try {
                        float[] chw = m.preprocess(bytesOf(batch.get(i)));
                        at[i] = tensors.size();
                        tensors.add(EdgeInput.ofTensor(chw));
                    } catch (BadInputException | BadImage e) {
                        errors[i] = oneLine(e);
                    } catch (EdgeException e) {
                        throw e; // the model itself cannot take images: every row would fail the same way
                    } catch (RuntimeException e) {
                        // a decoder's own bug on a hostile file is still that file's problem, not the job's
                        errors[i] = "cannot decode the image: " + oneLine(e);
                    }
                }
                List<Prediction> predictions = List.of();
                String batchError = null;
                if (!tensors.isEmpty()) {
                    try {
                        predictions = m.predictBatch(tensors);
                    } catch (NonFiniteOutputException e) {
                        batchError = oneLine(e);
                    }
                }
                for (int i = 0; i < n; i++) {
                    Row in = batch.get(i);
                    String error = errors[i] != null ? errors[i] : batchError;
                    sink.add(error != null ? row(in, null, error) : row(in, predictions.get(at[i]), null));
                }
            }

            private byte[] bytesOf(Row row) {
                Object v = row.get(settings.inputIndex());
                if (v instanceof byte[] b) {
                    return b;
                }
                if (v instanceof String p) {
                    return readPath(p);
                }
                if (v == null && settings.lengthIndex() >= 0 && !row.isNullAt(settings.lengthIndex())
                        && row.getLong(settings.lengthIndex()) > settings.maxImageBytes()) {
                    throw new BadImage(InputFiles.tooLarge("the image", row.getLong(settings.lengthIndex()),
                            settings.maxImageBytes(), "maxImageBytes").getMessage());
                }
                throw new BadImage("no image (the input column is null)");
            }

            private byte[] readPath(String p) {
                Path file;
                try {
                    file = p.startsWith("file:") ? Path.of(URI.create(p)) : Path.of(p);
                } catch (IllegalArgumentException e) {
                    throw new BadImage("not a local file path: " + p);
                }
                try {
                    return InputFiles.readAllBytes(file, settings.maxImageBytes(), "maxImageBytes");
                } catch (FileRefusedException e) {
                    throw new BadImage(e.getMessage());
                } catch (NoSuchFileException e) {
                    throw new BadImage("cannot read " + file + ": no such file");
                } catch (IOException e) {
                    throw new BadImage("cannot read " + file + ": " + InputFiles.reason(e));
                }
            }

            private Row row(Row in, Prediction p, String error) {
                int width = in.size();
                Object[] values = new Object[width + ImageScorer.outputFields().length];
                for (int i = 0; i < width; i++) {
                    values[i] = in.get(i);
                }
                int o = width;
                if (p != null) {
                    switch (p.task()) {
                        case SINGLE_LABEL, MULTI_LABEL -> {
                            LabelScore best = p.best();
                            values[o] = best.label();
                            values[o + 1] = best.score();
                            values[o + 2] = entries(p.top(settings.topK()));
                            if (p.task() == dev.graft.edge.Task.MULTI_LABEL) {
                                values[o + 3] = entries(p.answer());
                            }
                        }
                        case REGRESSION -> {
                            float[] s = p.scores();
                            List<Float> v = new ArrayList<>(s.length);
                            for (float f : s) {
                                v.add(f);
                            }
                            values[o + 4] = seq(v);
                        }
                        default -> throw new IllegalStateException(p.task().toString());
                    }
                }
                values[o + 5] = error;
                values[o + 6] = settings.sha256();
                values[o + 7] = device;
                return RowFactory.create(values);
            }
        };
    }

    private static Seq<Row> entries(List<LabelScore> scores) {
        List<Row> out = new ArrayList<>(scores.size());
        for (LabelScore s : scores) {
            out.add(RowFactory.create(s.label(), s.score()));
        }
        return seq(out);
    }

    /** Spark's row encoder takes Scala sequences for array columns. */
    private static <T> Seq<T> seq(List<T> list) {
        return CollectionConverters.asScala(list).toSeq();
    }

    /**
     * The device for a task: under {@code auto}, the GPU Spark assigned to it (spark.task.resource.gpu.amount), else
     * the CPU, so that executors sharing a machine never all pick GPU 0; an explicit choice is taken as given.
     */
    static String device(String requested, TaskContext task) {
        if (!requested.equals("auto")) {
            return requested;
        }
        if (task != null) {
            Map<String, ResourceInformation> resources = task.resourcesJMap();
            ResourceInformation gpu = resources.get("gpu");
            if (gpu != null && gpu.addresses().length > 0) {
                return "cuda:" + gpu.addresses()[0].trim();
            }
        }
        return "cpu";
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ").trim();
    }

    /** An input row without a usable image: its message goes to the row's error column. */
    private static final class BadImage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadImage(String message) {
            super(message, null, false, false);
        }
    }
}
