package dev.graft.models.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.models.GraftException;
import dev.graft.models.GraftVersion;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.NetworkJson;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A trained model on disk: everything the exporter and the runtime need, and nothing engine-specific.
 *
 * <p>A checkpoint lives in a run folder ({@link RunFolder}): {@code checkpoint.json} (task, labels, preprocessing,
 * training progress, the sha256 of every file) names the generation folder that holds {@code network.json} (the spec)
 * and {@code weights.safetensors} (Graft names). A new checkpoint is committed by renaming its record into place, so a
 * run killed at any instant keeps its previous checkpoint whole; readers check every file against its recorded hash.
 *
 * @param network the spec
 * @param weights every parameter and buffer by Graft name
 * @param task what the model predicts
 * @param labels class names in output order (regression: target names)
 * @param preprocessing how images become inputs
 * @param threshold multi-label decision threshold
 * @param epochsDone epochs trained so far
 * @param info free-form training information kept with the checkpoint (history, options), may be empty
 */
public record Checkpoint(Network network, Map<String, Tensor> weights, Task task, List<String> labels,
                         Preprocessing preprocessing, double threshold, int epochsDone, ObjectNode info) {
    public static final String FORMAT = "graft-checkpoint";
    public static final String NETWORK_FILE = "network.json";
    public static final String WEIGHTS_FILE = "weights.safetensors";
    public static final String META_FILE = "checkpoint.json";

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public Checkpoint {
        labels = List.copyOf(labels);
        weights = Map.copyOf(weights);
        info = info == null ? MAPPER.createObjectNode() : info.deepCopy();
        int outputs = outputCount(network);
        if (labels.size() != outputs) {
            throw new GraftException("the model has " + outputs + " outputs but " + labels.size() + " labels were given");
        }
    }

    private static int outputCount(Network network) {
        int[] out = dev.graft.models.spec.Shapes.infer(network, 224, 224).get(network.output().id());
        return out[0];
    }

    /**
     * Commits the checkpoint as the current one of {@code dir} (created if needed), atomically as a whole: see
     * {@link RunFolder}. A trainer that also saves its optimiser's state uses {@link RunFolder#commit} instead.
     */
    public void write(Path dir) {
        try (RunFolder folder = RunFolder.open(dir)) {
            folder.commit(this, null);
        }
    }

    /** The commit record of this checkpoint, without the generation's name and hashes other than the weights'. */
    ObjectNode record(String weightsSha256) {
        ObjectNode meta = MAPPER.createObjectNode();
        meta.put("format", FORMAT);
        meta.put("version", 2);
        meta.put("graft_version", GraftVersion.get());
        meta.put("arch", network.arch());
        meta.put("task", task.id());
        ArrayNode l = meta.putArray("labels");
        labels.forEach(l::add);
        meta.put("threshold", threshold);
        meta.set("preprocessing", MAPPER.valueToTree(preprocessing));
        meta.put("epochs_done", epochsDone);
        meta.put("weights_sha256", weightsSha256);
        meta.set("info", info);
        return meta;
    }

    Map<String, Tensor> orderedWeights() {
        Map<String, Tensor> ordered = new java.util.LinkedHashMap<>();
        for (String name : network.params().keySet()) {
            Tensor t = weights.get(name);
            if (t == null) {
                throw new GraftException("checkpoint lacks weight " + name);
            }
            ordered.put(name, t);
        }
        return ordered;
    }

    /** True when {@code dir} holds a checkpoint (its {@code checkpoint.json}). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(META_FILE));
    }

    /** Reads and verifies the current checkpoint of a run folder; every problem is one line naming the file. */
    public static Checkpoint read(Path dir) {
        return RunFolder.read(dir).checkpoint();
    }

    /** Reads the checkpoint whose files are in {@code base} (its generation, or {@code dir} itself when older). */
    static RunFolder.Snapshot readFrom(Path dir, Path base, JsonNode meta) {
        try {
            Path networkPath = base.resolve(NETWORK_FILE);
            String networkText = readText(networkPath);
            String networkHash = meta.path("network_sha256").asText(null);
            if (networkHash != null && !networkHash.equals(sha256(networkPath))) {
                throw new GraftException(networkPath + " does not match its checkpoint.json (sha256 differs): "
                    + "the checkpoint was not written completely");
            }
            Network network = NetworkJson.read(networkText);
            Path weightsPath = base.resolve(WEIGHTS_FILE);
            String recorded = meta.path("weights_sha256").asText();
            String actual = sha256(weightsPath);
            if (!recorded.equals(actual)) {
                throw new GraftException(weightsPath + " does not match its checkpoint.json (sha256 differs): "
                    + "the checkpoint was not written completely");
            }
            Map<String, Tensor> weights;
            try (TensorFile file = SafeTensors.open(weightsPath)) {
                // copy out of the mapping so the checkpoint outlives the open file
                Map<String, Tensor> copied = new java.util.LinkedHashMap<>();
                WeightLoader.load(network, file.all(), LoadMode.ALL).tensors()
                    .forEach((k, v) -> copied.put(k, Tensor.ofFloats(v.shape(), v.toFloatArray())));
                weights = copied;
            }
            List<String> labels = new ArrayList<>();
            meta.path("labels").forEach(x -> labels.add(x.asText()));
            Preprocessing pre = MAPPER.treeToValue(meta.path("preprocessing"), Preprocessing.class);
            JsonNode info = meta.get("info");
            Checkpoint c = new Checkpoint(network, weights, Task.fromId(meta.path("task").asText()), labels, pre,
                meta.path("threshold").asDouble(0.5), meta.path("epochs_done").asInt(0),
                info instanceof ObjectNode o ? o : null);
            return new RunFolder.Snapshot(c, RunFolder.readState(base, meta));
        } catch (IOException e) {
            throw new GraftException("cannot read checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The sha256 of the checkpoint's weights file, hex: the export's {@code graft.source}. */
    public static String weightsHash(Path dir) {
        return sha256(RunFolder.weightsFile(dir));
    }

    /** Hex sha256 of a file, streamed. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchFileException e) {
            throw new GraftException(file + " does not exist");
        } catch (IOException e) {
            throw new GraftException("cannot read " + file + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String readText(Path p) throws IOException {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new GraftException(p + " is missing: not a complete Graft checkpoint");
        }
    }
}
