package dev.graft.models.weights.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What Graft takes from a fastai Learner pickled by {@code learn.export()}, besides its model: the class labels and the
 * input normalisation, found by name among the inert placeholders.
 *
 * <p>fastai keeps the labels in a {@code CategoryMap} (its {@code items}, a fastcore {@code L} of the labels) inside the
 * {@code Categorize} transform of the data loaders, and the normalisation in the {@code Normalize} batch transform
 * ({@code mean} and {@code std}, tensors of shape [1, 3, 1, 1]). The first of each reachable from the Learner is used.
 */
final class FastaiExport {
    /** Far beyond the labels of any classifier (100,000 classes of 100 characters are 10 million). */
    static final long MAX_LABEL_CHARS = 1L << 24;

    private FastaiExport() {
    }

    static void describe(String source, Py.Placeholder learner, Map<String, String> metadata) {
        List<String> vocab = null;
        float[] mean = null;
        float[] std = null;
        for (Object value : Contents.reachable(learner)) {
            if (!(value instanceof Py.Placeholder p)) {
                continue;
            }
            if (vocab == null && p.type.name().equals("CategoryMap")) {
                vocab = labels(source, p.state.get("items"));
            }
            if (mean == null && p.type.name().equals("Normalize")
                    && p.state.get("mean") instanceof Py.TensorRef m && p.state.get("std") instanceof Py.TensorRef s) {
                mean = floats(source, m);
                std = mean == null ? null : floats(source, s);
                if (std == null) {
                    mean = null;
                }
            }
        }
        if (vocab != null) {
            metadata.put("fastai.vocab", json(vocab));
        }
        if (mean != null && std != null) {
            metadata.put("fastai.normalize.mean", json(mean));
            metadata.put("fastai.normalize.std", json(std));
        }
    }

    /** The labels of a fastcore {@code L} (or a plain list) as text; null when they are not simple values. */
    private static List<String> labels(String source, Object items) {
        if (items instanceof Py.Placeholder l && l.state.get("items") instanceof List<?> list) {
            items = list;
        }
        if (!(items instanceof List<?> list)) {
            return null;
        }
        List<String> out = new ArrayList<>();
        long chars = 0;
        for (Object item : list) {
            if (item instanceof String s) {
                chars += s.length();
            }
            if (chars > MAX_LABEL_CHARS || out.size() > MAX_LABEL_CHARS) {
                throw PickleMachine.fail(source, "its labels (fastai's CategoryMap) hold more than " + MAX_LABEL_CHARS
                        + " characters, which no classifier has");
            }
            if (item instanceof String || item instanceof Long || item instanceof Boolean
                    || item instanceof java.math.BigInteger) {
                out.add(item.toString());
            } else if (item instanceof Double d) {
                out.add(d.toString());
            } else {
                return null;
            }
        }
        return out;
    }

    private static float[] floats(String source, Py.TensorRef t) {
        long numel = 1;
        for (long d : t.size()) {
            numel *= d; // bounded when the view was rebuilt
        }
        if (numel > 64) {
            return null; // per-channel statistics; anything larger is not what fastai's Normalize holds
        }
        ByteBuffer data = Materialiser.contiguous(source, t, new long[] {Long.MAX_VALUE}).order(ByteOrder.LITTLE_ENDIAN);
        ScalarType type = t.storage().type;
        int n = data.remaining() / type.elementSize();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            if (type == ScalarType.FLOAT) {
                out[i] = data.getFloat(i * 4);
            } else if (type == ScalarType.DOUBLE) {
                out[i] = (float) data.getDouble(i * 8);
            } else {
                return null;
            }
        }
        return out;
    }

    static String json(List<String> values) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            out.append(i == 0 ? "" : ",").append('"');
            for (char c : values.get(i).toCharArray()) {
                if (c == '"' || c == '\\') {
                    out.append('\\').append(c);
                } else if (c < 0x20) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            out.append('"');
        }
        return out.append(']').toString();
    }

    static String json(float[] values) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            out.append(i == 0 ? "" : ",").append(Float.toString(values[i]));
        }
        return out.append(']').toString();
    }
}
