package dev.graft.interpret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The numbers against their references on the same inputs: scikit-learn's confusion matrix and classification report,
 * numpy's ECE (15 bins, (lo, hi], first closed at 0) and -log(max(p, 1e-12)), PyTorch's LBFGS temperature.
 */
class OracleTest {
    @TempDir
    Path tmp;

    private static final List<String> CLASSES = List.of("cat", "dog", "fox", "owl", "yak", "emu");

    /** Seeded logits for a 6-class problem: mostly right, some confident mistakes; "emu" is never the true class. */
    private static Map<String, Object> data(int n, long seed) {
        Random r = new Random(seed);
        float[][] logits = new float[n][CLASSES.size()];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(CLASSES.size() - 1);
            for (int k = 0; k < CLASSES.size(); k++) {
                logits[i][k] = (float) (r.nextGaussian() * 2);
            }
            if (r.nextDouble() < 0.7) {
                logits[i][labels[i]] += (float) (3 + r.nextDouble() * 3);
            }
            if (i % 7 == 0) {
                logits[i][2] += 8; // "fox" over-predicted
            }
            logits[i][3] -= 6; // "owl" rarely predicted: zero-division paths
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("logits", logits);
        m.put("labels", labels);
        return m;
    }

    private static float[] softmax(float[] z) {
        double[] p = Softmax.of(z, 1);
        float[] f = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            f[i] = (float) p[i];
        }
        return f;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private SingleLabelInterpretation interpret(float[][] logits, int[] labels, List<float[]> probsOut) {
        SingleLabelInterpretation in = new SingleLabelInterpretation(CLASSES, 16);
        for (int i = 0; i < logits.length; i++) {
            float[] p = softmax(logits[i]);
            probsOut.add(p);
            in.add("img" + i + ".jpg", p, labels[i]);
        }
        return in;
    }

    @Test
    void confusionMatrixAndReportEqualScikitLearn() throws Exception {
        PythonOracle.require("numpy", "sklearn");
        Map<String, Object> d = data(400, 1);
        List<float[]> probs = new ArrayList<>();
        SingleLabelInterpretation in = interpret((float[][]) d.get("logits"), (int[]) d.get("labels"), probs);
        int[] predicted = probs.stream().mapToInt(Softmax::argmax).toArray();
        Map<String, Object> input = Map.of("y_true", d.get("labels"), "y_pred", predicted, "n", CLASSES.size());
        JsonNode ref = PythonOracle.run(String.join("\n",
                "import json, sys, warnings",
                "from sklearn.metrics import confusion_matrix, classification_report",
                "d = json.load(open(sys.argv[1]))",
                "with warnings.catch_warnings(record=True) as w:",
                "    warnings.simplefilter('always')",
                "    rep = classification_report(d['y_true'], d['y_pred'], output_dict=True)",
                "cm = confusion_matrix(d['y_true'], d['y_pred'], labels=list(range(d['n'])))",
                "print(json.dumps({'cm': cm.tolist(), 'report': rep, 'warnings': len(w)}))"), input, tmp);
        long[][] cm = in.confusion().counts();
        for (int i = 0; i < CLASSES.size(); i++) {
            for (int j = 0; j < CLASSES.size(); j++) {
                assertThat(cm[i][j]).as("cell %d,%d", i, j).isEqualTo(ref.get("cm").get(i).get(j).asLong());
            }
        }
        ClassificationReport r = in.report();
        JsonNode rep = ref.get("report");
        // scikit-learn keys classes by their label value: the class index here
        assertThat(r.classes()).hasSize(rep.size() - 3);
        for (ClassificationReport.ClassMetrics m : r.classes()) {
            JsonNode row = rep.get(Integer.toString(CLASSES.indexOf(m.label())));
            assertThat(row).as(m.label()).isNotNull();
            assertThat(m.precision()).isCloseTo(row.get("precision").asDouble(), within(1e-12));
            assertThat(m.recall()).isCloseTo(row.get("recall").asDouble(), within(1e-12));
            assertThat(m.f1()).isCloseTo(row.get("f1-score").asDouble(), within(1e-12));
            assertThat(m.support()).isEqualTo(row.get("support").asLong());
        }
        assertThat(r.accuracy()).isCloseTo(rep.get("accuracy").asDouble(), within(1e-12));
        for (String avg : List.of("macro avg", "weighted avg")) {
            ClassificationReport.Average a = avg.startsWith("macro") ? r.macro() : r.weighted();
            assertThat(a.precision()).as(avg).isCloseTo(rep.get(avg).get("precision").asDouble(), within(1e-12));
            assertThat(a.recall()).as(avg).isCloseTo(rep.get(avg).get("recall").asDouble(), within(1e-12));
            assertThat(a.f1()).as(avg).isCloseTo(rep.get(avg).get("f1-score").asDouble(), within(1e-12));
            assertThat(a.support()).as(avg).isEqualTo(rep.get(avg).get("support").asLong());
        }
        // the data was built so that some ratio has a zero denominator: both sides warn
        assertThat(ref.get("warnings").asInt()).isPositive();
        assertThat(r.warnings()).isNotEmpty();
    }

    @Test
    void eceAndTopLossesEqualNumpy() throws Exception {
        PythonOracle.require("numpy");
        Map<String, Object> d = data(1000, 2);
        List<float[]> probs = new ArrayList<>();
        int[] labels = (int[]) d.get("labels");
        SingleLabelInterpretation in = interpret((float[][]) d.get("logits"), labels, probs);
        // plus confidences exactly on bin edges, where the (lo, hi] rule decides
        SingleLabelInterpretation edges = new SingleLabelInterpretation(List.of("a", "b"), 0);
        List<float[]> edgeProbs = new ArrayList<>();
        List<Integer> edgeLabels = new ArrayList<>();
        for (int i = 0; i <= 15; i++) {
            float c = Math.max(0.5f, (float) (i / 15.0));
            float[] p = {c, 1 - c};
            edges.add("e" + i, p, i % 2);
            edgeProbs.add(p);
            edgeLabels.add(i % 2);
        }
        Map<String, Object> input = new LinkedHashMap<>();
        // widened exactly: the float's shortest decimal would be a different double in numpy
        input.put("probs", probs.stream().map(OracleTest::widen).toList());
        input.put("labels", labels);
        input.put("edge_probs", edgeProbs.stream().map(OracleTest::widen).toList());
        input.put("edge_labels", edgeLabels);
        JsonNode ref = PythonOracle.run(String.join("\n",
                "import json, sys",
                "import numpy as np",
                "d = json.load(open(sys.argv[1]))",
                "def ece(p, y):",
                "    p = np.asarray(p, dtype=np.float64); y = np.asarray(y)",
                "    conf = p.max(1); acc = (p.argmax(1) == y).astype(np.float64)",
                "    edges = np.linspace(0, 1, 16); e = 0.0",
                "    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):",
                "        m = (conf > lo) & (conf <= hi)",
                "        if i == 0: m |= conf == 0",
                "        if m.any(): e += m.mean() * abs(acc[m].mean() - conf[m].mean())",
                "    return e",
                "p = np.asarray(d['probs'], dtype=np.float64); y = np.asarray(d['labels'])",
                "loss = -np.log(np.maximum(p[np.arange(len(y)), y], 1e-12))",
                "order = np.argsort(-loss, kind='stable')[:16]",
                "print(json.dumps({'ece': ece(d['probs'], d['labels']), 'edge_ece': ece(d['edge_probs'], d['edge_labels']),",
                "                  'top': order.tolist(), 'loss': loss[order].tolist(), 'mean': float(loss.mean())}))"),
                input, tmp);
        assertThat(in.reliability().ece()).isCloseTo(ref.get("ece").asDouble(), within(1e-12));
        assertThat(edges.reliability().ece()).isCloseTo(ref.get("edge_ece").asDouble(), within(1e-12));
        List<TopLosses.Entry> top = in.topLosses().highestFirst();
        assertThat(top).hasSize(16);
        for (int i = 0; i < top.size(); i++) {
            double expected = ref.get("loss").get(i).asDouble();
            assertThat(top.get(i).loss()).isCloseTo(expected, within(Math.abs(expected) * 1e-6));
            assertThat(top.get(i).file()).isEqualTo("img" + ref.get("top").get(i).asInt() + ".jpg");
        }
        assertThat(in.meanLoss()).isCloseTo(ref.get("mean").asDouble(), within(ref.get("mean").asDouble() * 1e-9));
    }

    @Test
    void temperatureEqualsPyTorchLbfgs() throws Exception {
        PythonOracle.require("torch");
        Map<String, Object> d = data(600, 3);
        float[][] logits = (float[][]) d.get("logits");
        int[] labels = (int[]) d.get("labels");
        TemperatureScaling.Fit fit = TemperatureScaling.fit(logits, labels);
        JsonNode ref = PythonOracle.run(String.join("\n",
                "import json, sys",
                "import torch",
                "d = json.load(open(sys.argv[1]))",
                "z = torch.tensor(d['logits'], dtype=torch.float64); y = torch.tensor(d['labels'])",
                "t = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))",
                "opt = torch.optim.LBFGS([t], lr=0.1, max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-14,",
                "                        line_search_fn='strong_wolfe')",
                "def closure():",
                "    opt.zero_grad()",
                "    loss = torch.nn.functional.cross_entropy(z / t, y)",
                "    loss.backward()",
                "    return loss",
                "for _ in range(5): opt.step(closure)",
                "print(json.dumps({'t': t.item(), 'nll': torch.nn.functional.cross_entropy(z / t, y).item()}))"),
                d, tmp);
        assertThat(fit.clamped()).isFalse();
        assertThat(fit.temperature()).isCloseTo(ref.get("t").asDouble(), within(1e-3));
        assertThat(fit.nllAfter()).isCloseTo(ref.get("nll").asDouble(), within(1e-9));
        assertThat(fit.temperature()).as("these logits are overconfident").isGreaterThan(1.05);
    }
}
