package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.edge.Task;
import dev.graft.image.ResizeMethod;
import dev.graft.exporter.quant.ImagePreprocessor;
import dev.graft.interpret.LabelledImages;
import dev.graft.models.GraftException;
import dev.graft.models.checkpoint.Checkpoint;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.Item;
import dev.graft.trainer.model.InferenceModel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code graft interpret --checkpoint}: the trained model of a run folder, before export (the trainer's DJL forward),
 * judged on the run's own validation split: the data, seed and validation share the run recorded, split by the same
 * loader the run used. The images are preprocessed as the export will prescribe (the checkpoint's size, resize and
 * normalisation), and the task's activation is applied to the network's output here, as the export proof does.
 */
final class TrainedSubject implements InterpretCommand.Subject {
    private final Path run;
    private final Checkpoint checkpoint;
    private final InferenceModel model;
    private final ImagePreprocessor pre;
    private final LabelledImages images;

    private TrainedSubject(Path run, Checkpoint checkpoint, InferenceModel model, ImagePreprocessor pre,
                           LabelledImages images) {
        this.run = run;
        this.checkpoint = checkpoint;
        this.model = model;
        this.pre = pre;
        this.images = images;
    }

    static TrainedSubject open(Path run, Path data, PrintWriter err) {
        Checkpoint c = Checkpoint.read(run);
        JsonNode info = c.info().path("run");
        Path source = data;
        if (source == null) {
            if (!info.hasNonNull("data")) {
                throw new GraftException("the checkpoint in " + run + " does not record its data; give --data");
            }
            source = Path.of(info.get("data").asText());
        }
        if (!Files.exists(source)) {
            throw new GraftException("data not found: " + source + (data == null ? " (recorded by the run " + run + ")" : ""));
        }
        long seed = info.path("seed").asLong(ImageDataset.DEFAULT_SEED);
        double validPct = info.path("valid_pct").asDouble(ImageDataset.DEFAULT_VALID_PCT);
        if (!info.has("valid_pct")) {
            err.println("graft: note: the run does not record its validation share; assuming the default "
                + ImageDataset.DEFAULT_VALID_PCT);
        }
        ImageDataset ds = Files.isDirectory(source) ? ImageDataset.fromFolders(source, validPct, seed)
            : ImageDataset.fromCsv(source, c.task(), null, validPct, seed);
        List<LabelledImages.Item> items = new ArrayList<>();
        for (Item item : ds.valid()) {
            String label = switch (item.task()) {
                case SINGLE_LABEL -> ds.classes().get(item.classIndex());
                case MULTI_LABEL -> {
                    StringBuilder sb = new StringBuilder();
                    float[] hot = item.multiHot();
                    for (int k = 0; k < hot.length; k++) {
                        if (hot[k] > 0.5f) {
                            sb.append(sb.length() == 0 ? "" : " ").append(ds.classes().get(k));
                        }
                    }
                    yield sb.toString();
                }
                case REGRESSION -> Float.toString(item.value());
            };
            items.add(new LabelledImages.Item(item.path(), label));
        }
        LabelledImages images = LabelledImages.of(source, "the run's validation split (seed " + seed + ", "
            + String.format(Locale.ROOT, "%.0f%%", 100 * validPct) + " unless the data has its own)", items);
        var p = c.preprocessing();
        ImagePreprocessor pre = ImagePreprocessor.of(p.height(), p.width(),
            ResizeMethod.valueOf(p.resize().toUpperCase(Locale.ROOT)), p.mean(), p.std(), p.channels());
        InferenceModel m = InferenceModel.load(c.network(), c.weights(), p.height(), p.width());
        return new TrainedSubject(run, c, m, pre, images);
    }

    @Override
    public String name() {
        return run.getFileName() + " (checkpoint)";
    }

    @Override
    public String description() {
        return "trained model of " + run + " (" + checkpoint.task().id() + ", " + checkpoint.network().arch() + ", "
            + checkpoint.epochsDone() + " epochs; the trainer's forward, before export)";
    }

    @Override
    public Task task() {
        return Task.fromMetadata(checkpoint.task().id());
    }

    @Override
    public List<String> labels() {
        return checkpoint.labels();
    }

    @Override
    public double threshold() {
        return checkpoint.threshold();
    }

    @Override
    public int numOutputs() {
        return checkpoint.task() == dev.graft.models.checkpoint.Task.REGRESSION ? -1 : checkpoint.labels().size();
    }

    @Override
    public LabelledImages images() {
        return images;
    }

    @Override
    public float[] scores(Path file) {
        float[] x;
        try {
            x = pre.read(file);
        } catch (GraftException e) {
            String why = e.getMessage();
            throw new InterpretCommand.Skip(why != null && why.startsWith(file + ": ") ? why.substring(file.toString().length() + 2) : why);
        }
        float[] y = model.forward(x, 1, pre.channels(), pre.height(), pre.width());
        for (float v : y) {
            if (!Float.isFinite(v)) {
                throw new InterpretCommand.Skip("the model's output is NaN or infinite");
            }
        }
        return switch (checkpoint.task()) {
            case SINGLE_LABEL -> softmax(y);
            case MULTI_LABEL -> sigmoid(y);
            case REGRESSION -> y;
        };
    }

    private static float[] softmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            e[i] = Math.exp(z[i] - max);
            sum += e[i];
        }
        float[] p = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    private static float[] sigmoid(float[] z) {
        float[] p = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = (float) (1 / (1 + Math.exp(-z[i])));
        }
        return p;
    }

    @Override
    public void close() {
        model.close();
    }
}
