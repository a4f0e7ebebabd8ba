package dev.graft.edge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What a model said about one input, read the way its task asks: the top classes of a single-label model, the classes
 * above the threshold of a multi-label model, or the numbers of a regression model; plus every score, and the device
 * that computed them.
 *
 * <p>Scores are probabilities for classifiers whatever the graph ends in: a graph exported without its activation gets
 * it applied here (softmax or sigmoid, by task). Immutable.
 */
public final class Prediction {
    private final Task task;
    private final float[] scores;
    private final List<String> labels;
    private final List<LabelScore> answer;
    private final Device device;

    Prediction(Task task, float[] scores, List<String> labels, int topK, float threshold, Device device) {
        this.task = task;
        this.scores = scores;
        this.labels = labels;
        this.device = device;
        this.answer = switch (task) {
            case SINGLE_LABEL -> top(topK);
            case MULTI_LABEL -> above(threshold);
            case REGRESSION -> all();
        };
    }

    public Task task() {
        return task;
    }

    /**
     * The answer: the top-k classes by probability (single-label), the classes at or above the threshold by
     * probability (multi-label; possibly empty), or every output in order (regression). Named apart from
     * {@link EdgeModel#labels()}, which is the model's class names.
     */
    public List<LabelScore> answer() {
        return answer;
    }

    /** The {@code k} highest scores, highest first (ties by output order). */
    public List<LabelScore> top(int k) {
        int n = Math.min(Math.max(k, 0), scores.length);
        List<LabelScore> out = new ArrayList<>(n);
        boolean[] taken = new boolean[scores.length];
        for (int r = 0; r < n; r++) {
            int best = -1;
            for (int i = 0; i < scores.length; i++) {
                if (!taken[i] && (best < 0 || scores[i] > scores[best] || Float.isNaN(scores[best]))) {
                    best = i;
                }
            }
            taken[best] = true;
            out.add(entry(best));
        }
        return Collections.unmodifiableList(out);
    }

    /** The highest-scoring output. */
    public LabelScore best() {
        return top(1).get(0);
    }

    /** Every score in output order (a copy): probabilities for classifiers, values for regression. */
    public float[] scores() {
        return scores.clone();
    }

    /** The device the graph ran on. */
    public Device device() {
        return device;
    }

    private List<LabelScore> above(float threshold) {
        List<LabelScore> out = new ArrayList<>();
        for (LabelScore s : top(scores.length)) {
            if (s.score() >= threshold) {
                out.add(s);
            }
        }
        return Collections.unmodifiableList(out);
    }

    private List<LabelScore> all() {
        List<LabelScore> out = new ArrayList<>(scores.length);
        for (int i = 0; i < scores.length; i++) {
            out.add(entry(i));
        }
        return Collections.unmodifiableList(out);
    }

    private LabelScore entry(int i) {
        return new LabelScore(i, i < labels.size() ? labels.get(i) : Integer.toString(i), scores[i]);
    }

    @Override
    public String toString() {
        return "Prediction[" + task.metadataValue() + ", " + answer + ", " + device + "]";
    }
}
