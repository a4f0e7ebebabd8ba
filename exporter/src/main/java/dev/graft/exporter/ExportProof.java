package dev.graft.exporter;

import dev.graft.exporter.onnx.GraftMetadata;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.FloatTensor;
import dev.graft.exporter.onnx.OrtRunner;
import dev.graft.exporter.quant.QuantProgress;
import dev.graft.exporter.onnx.proto.OnnxProto.GraphProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.onnx.proto.OnnxProto.TensorShapeProto;
import dev.graft.exporter.onnx.proto.OnnxProto.ValueInfoProto;
import dev.graft.models.GraftException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Random;

/**
 * Proof that an exported file computes what the trained model computes, before the file is allowed to exist.
 *
 * <p>An export can be wrong in ways no schema check finds: a BatchNorm folded with the wrong epsilon, a weight
 * transposed, max and average pooling concatenated in the wrong order. Each still loads and produces plausible
 * probabilities. The only convincing check is numerical: run the exported graph in ONNX Runtime and the trained model
 * on the same inputs, and compare. The inputs are seeded N(0, 1) noise (the model's input space after normalisation),
 * so a failure can be reproduced exactly. ONNX Runtime runs with all graph optimisations on, as a deployment would.
 *
 * <p><b>The rule</b> (with a {@link TrainedReference}, as {@code graft export} runs it). A fixed tolerance cannot serve
 * every model: float32 rounding grows with depth and with the weights, so a correct resnet152 export can be 1e-3 from
 * the trained engine's float32 forward while a wrong resnet18 graph can be closer than that. So:
 * <ol>
 *   <li>The export is compared with the trained model's <em>float64</em> forward: what the weights mean, with no
 *       float32 rounding of its own.</li>
 *   <li>The trained model's float32 forward is compared with the same float64 forward on the same inputs, <em>at the
 *       logits</em>: that difference {@code e} is what float32 arithmetic alone does to this model; any correct float32
 *       implementation lands about that far from float64, in a direction set by its own summation order. Under a
 *       softmax each image's logit errors are centred first (their mean over the classes removed), because a softmax
 *       ignores an error common to every class. Logits, not probabilities: a probability's error depends on the
 *       direction the logit error happens to take against the probabilities, so over a few images it varies tenfold
 *       at a steady logit error (densenet121, {@code docs/export-proof.md}) and makes a poor yardstick.</li>
 *   <li>The export's logits (the graph's {@code logits} tensor, measured the same way) must be within
 *       {@code min(SENSITIVITY_FACTOR * e, LOGIT_CEILING)}, and never less than {@code LOGIT_FLOOR} times the
 *       largest |logit| (at least 1): room for a different but correct float32 order of operations (ONNX Runtime's
 *       kernels, the folded BatchNorm), never less than the rounding of logits of that size, never so much that the
 *       proof says nothing.</li>
 *   <li>The export's probabilities must be within {@code TOLERANCE_FLOOR} plus the most that logit tolerance can move
 *       them (half of it through a softmax, divided by the temperature; a quarter through a sigmoid): this catches
 *       whatever goes wrong after the logits (the activation, the temperature), with room for float32 rounding of the
 *       probabilities themselves.</li>
 *   <li>Wherever the float64 forward's top two classes are further apart than the probability tolerance, the export
 *       must rank the same class first; nearer ties may flip without being an error.</li>
 * </ol>
 * An explicit tolerance replaces steps 3 and 4 with one comparison of probabilities within it, and keeps the top-class
 * check. The figures behind the constants are in {@code docs/export-proof.md}.
 */
public final class ExportProof {
    /**
     * The tolerance when only a float32 reference is given ({@link #verify(ModelProto, ReferenceForward, long, int,
     * int, int, double)}): float noise of a shallow network, not a wrong graph.
     */
    public static final double DEFAULT_TOLERANCE = 1e-4;
    /**
     * How many times the model's own float32 logit error the export's may be: over every architecture at 64 and 224 px
     * and several seeds the ratio stayed at or below 3.2 (docs/export-proof.md), while wrong graphs land hundreds of
     * times beyond.
     */
    public static final double SENSITIVITY_FACTOR = 8;
    /**
     * The smallest derived logit tolerance, relative to the largest logit magnitude of the proof's images (at least 1):
     * about 80 float32 ulps of it, the rounding a head's last Linear layer alone leaves in its sums, whatever the body.
     */
    public static final double LOGIT_FLOOR = 1e-5;
    /**
     * The largest derived logit tolerance: a (centred) logit error of 0.05 moves a softmax probability by up to 0.025;
     * beyond it the comparison would no longer tell a wrong graph from noise.
     */
    public static final double LOGIT_CEILING = 5e-2;
    /**
     * What the probability tolerance allows beyond the logit tolerance's effect: the float32 rounding of the
     * probabilities themselves (over 100 ulps of a probability near 1). Also the whole tolerance where the logits
     * cannot be compared.
     */
    public static final double TOLERANCE_FLOOR = 1e-5;
    /**
     * The most the probability tolerance allows beyond {@link #TOLERANCE_FLOOR}: what the logit ceiling allows through
     * a softmax without a temperature.
     */
    public static final double PROBABILITY_CEILING = LOGIT_CEILING / 2;
    /** The seed of the default proof input. */
    public static final long DEFAULT_SEED = 0;
    /** The batch of the default proof input. */
    public static final int DEFAULT_BATCH = 2;

    private ExportProof() {
    }

    /** What the export was compared with, and where the tolerance came from. */
    public enum Basis {
        /** The float64 forward, tolerances derived from the model's own float32 logit error. */
        DERIVED,
        /** The float64 forward, a probability tolerance given by the caller; logits reported, not judged. */
        GIVEN,
        /** A single reference forward of the caller's (float32 or other), tolerance given by the caller. */
        REFERENCE
    }

    /**
     * The outcome of one comparison.
     *
     * @param maxAbsDiff the largest absolute difference between ONNX Runtime's {@code probabilities} and the
     *     reference's (the float64 forward's, with a {@link TrainedReference}); infinite when either produced NaN
     * @param tolerance the largest probability difference that passes
     * @param opHistogram node count per ONNX op type, in graph order
     * @param basis what was compared and where the tolerances came from
     * @param float32Error the trained model's own float32-vs-float64 probability difference on the same inputs (NaN
     *     when no float64 forward was given); reported, no longer the yardstick
     * @param argmaxChecked images whose top two reference classes are further apart than the tolerance
     * @param argmaxDisagreement the first of those where the export ranks another class first, or -1
     * @param exportTop the export's top class on that image (-1 when none disagrees)
     * @param referenceTop the reference's top class on that image (-1 when none disagrees)
     * @param referenceLead the reference's lead of its top class over the export's (0 when none disagrees)
     * @param logitDiff the largest difference between the graph's logits and the float64 forward's, centred per image
     *     under a softmax; infinite when either produced NaN, NaN without a float64 forward
     * @param logitTolerance the largest logit difference that passes (infinite where logits are not judged)
     * @param float32LogitError the trained model's own float32-vs-float64 logit difference, measured the same way (NaN
     *     without a float64 forward): the yardstick of the derived rule
     * @param centred whether logit differences are centred per image (under a softmax)
     * @param logitScale the largest |logit| of the float64 forward on the proof's images (NaN without one): the
     *     logit floor is {@link #LOGIT_FLOOR} times this, or times 1 where it is smaller
     * @param temperature the temperature the graph's softmax divides the logits by (1 without one)
     */
    public record Result(double maxAbsDiff, double tolerance, long seed, int batch, int height, int width,
                         Map<String, Integer> opHistogram, Basis basis, double float32Error, int argmaxChecked,
                         int argmaxDisagreement, int exportTop, int referenceTop, double referenceLead,
                         double logitDiff, double logitTolerance, double float32LogitError, boolean centred,
                         double logitScale, double temperature) {
        /** Whether the export agrees with the reference within the tolerances, top class included. */
        public boolean passed() {
            return logitsPassed() && maxAbsDiff <= tolerance && argmaxDisagreement < 0;
        }

        /** Whether the logits are within their tolerance (true where they are not judged). */
        public boolean logitsPassed() {
            return basis != Basis.DERIVED || logitDiff <= logitTolerance;
        }

        /** The graph's total number of nodes. */
        public int nodeCount() {
            return opHistogram.values().stream().mapToInt(Integer::intValue).sum();
        }

        /** What the logit figures measure, in a few words. */
        public String logitMeasure() {
            return centred ? "logits, centred per image" : "logits";
        }

        /** {@link #logitMeasure()} as the subject of a sentence. */
        private String logitSubject() {
            return centred ? logitMeasure() + "," : logitMeasure();
        }

        /** Why the logit tolerance is what it is, in a few words (derived rule only). */
        public String logitToleranceReason() {
            double scaled = SENSITIVITY_FACTOR * float32LogitError;
            String own = "the model's own float32-vs-float64 difference " + (float32LogitError == 0 ? "0"
                    : String.format(Locale.ROOT, "%.3g", float32LogitError));
            double floor = logitFloor(logitScale);
            String which = floor == LOGIT_FLOOR ? String.format(Locale.ROOT, "the floor %.0e", LOGIT_FLOOR)
                    : String.format(Locale.ROOT, "the floor %.3g = %.0e x the largest |logit| %.3g", floor,
                    LOGIT_FLOOR, logitScale);
            if (!Double.isFinite(scaled)) {
                return which + "; the model's own float32 forward is not finite";
            } else if (scaled < floor || floor >= LOGIT_CEILING) {
                return String.format(Locale.ROOT, "%s, above %.0f x %s", which, SENSITIVITY_FACTOR, own);
            } else if (scaled > LOGIT_CEILING) {
                return String.format(Locale.ROOT, "the ceiling %.0e, below %.0f x %s; --tolerance accepts more",
                        LOGIT_CEILING, SENSITIVITY_FACTOR, own);
            }
            return String.format(Locale.ROOT, "%.0f x %s", SENSITIVITY_FACTOR, own);
        }

        /** Why the probability tolerance is what it is, in a few words. */
        public String toleranceReason() {
            if (basis != Basis.DERIVED) {
                return "given";
            }
            return centred && 0.5 / temperature * logitTolerance > PROBABILITY_CEILING
                    ? String.format(Locale.ROOT, "the ceiling %.1e plus %.0e; --tolerance accepts more",
                    PROBABILITY_CEILING, TOLERANCE_FLOOR)
                    : String.format(Locale.ROOT, "what the logit tolerance can move them, plus %.0e", TOLERANCE_FLOOR);
        }

        /**
         * One line saying what was compared with what and which tolerances were applied, and why: what
         * {@code graft export} prints under its parity line.
         */
        public String explanation() {
            String what = basis == Basis.REFERENCE ? "the reference forward"
                    : "the trained model's float64 forward";
            String tolerances = switch (basis) {
                case DERIVED -> String.format(Locale.ROOT, "%s within %.3g (%s); probabilities within %.3g (%s)",
                        logitSubject(), logitTolerance, logitToleranceReason(), tolerance, toleranceReason());
                case GIVEN -> String.format(Locale.ROOT, "probabilities within %.3g (given; logits not judged)",
                        tolerance);
                case REFERENCE -> String.format(Locale.ROOT, "probabilities within %.3g (given)", tolerance);
            };
            return String.format(Locale.ROOT, "proof: ONNX Runtime's outputs vs %s on %d seeded N(0,1) image(s) at"
                    + " %dx%d (seed %d); %s; top class checked on %d of %d image(s), the rest near-ties", what, batch,
                    height, width, seed, tolerances, argmaxChecked, batch);
        }

        /** The one-line refusal; empty-handed callers say {@code nothing was written to out}. */
        public String refusal(Path out) {
            String against = basis == Basis.REFERENCE ? "from the reference" : "from its float64 forward";
            String where = String.format(Locale.ROOT, "seed %d, batch %d, %dx%d", seed, batch, height, width);
            if (!logitsPassed()) {
                return String.format(Locale.ROOT, "the export does not match the trained model: its %s differ by up"
                        + " to %.3g %s, more than the tolerance %.3g (%s; %s); nothing was written to %s",
                        logitSubject(), logitDiff, against, logitTolerance,
                        logitToleranceReason(), where, out);
            }
            String own = basis != Basis.GIVEN ? "" : String.format(Locale.ROOT,
                    "; the model's own float32 forward is %.3g from float64", float32Error);
            if (maxAbsDiff > tolerance || Double.isNaN(maxAbsDiff)) {
                return String.format(Locale.ROOT, "the export does not match the trained model: largest difference"
                        + " %.3g %s exceeds the tolerance %.3g (%s%s; %s); nothing was written to %s", maxAbsDiff,
                        against, tolerance, toleranceReason(), own, where, out);
            }
            return String.format(Locale.ROOT, "the export does not match the trained model: on image %d it ranks"
                    + " class %d first where the trained model ranks class %d first by %.3g, more than the tolerance"
                    + " %.3g (%s%s; %s); nothing was written to %s", argmaxDisagreement, exportTop, referenceTop,
                    referenceLead, tolerance, toleranceReason(), own, where, out);
        }
    }

    /**
     * Runs {@code model} in ONNX Runtime and {@code reference} on the same seeded N(0, 1) batch and compares their
     * probabilities against a fixed tolerance; the reference's raw output goes through the activation named in the
     * model's metadata first. Prefer {@link #verify(ModelProto, TrainedReference, long, int, int, int, OptionalDouble)}
     * where the trained model can run in float64.
     *
     * @throws GraftException if the model is not a Graft export, cannot run, or the reference returns the wrong count
     */
    public static Result verify(ModelProto model, ReferenceForward reference, long seed, int batch, int height,
                                int width, double tolerance) {
        Objects.requireNonNull(reference, "reference");
        checkTolerance(tolerance);
        Input in = input(model, seed, batch, height, width);
        float[] actual = runOrt(model, in, false).probabilities();
        double[] expected = in.activate(widen(checked(reference.forward(in.x.clone(), batch, in.channels, height,
                width), actual.length, batch)));
        return compare(model, in, actual, expected, tolerance, Basis.REFERENCE, Double.NaN, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NaN, Double.NaN);
    }

    /**
     * Runs {@code model} in ONNX Runtime and the trained model in float32 and float64 on the same seeded N(0, 1)
     * batch, and applies the rule in the class comment: the export is compared with the float64 forward, its
     * probabilities within {@code tolerance} if given, else its logits and probabilities within the tolerances derived
     * from the model's own float32 logit error.
     *
     * @throws GraftException if the model is not a Graft export, cannot run, or the reference returns the wrong count
     */
    public static Result verify(ModelProto model, TrainedReference reference, long seed, int batch, int height,
                                int width, OptionalDouble tolerance) {
        Objects.requireNonNull(reference, "reference");
        tolerance.ifPresent(ExportProof::checkTolerance);
        Input in = input(model, seed, batch, height, width);
        OrtOutputs ort = runOrt(model, in, true);
        int count = ort.probabilities().length;
        double[] exactRaw = checked(reference.forwardFloat64(in.x.clone(), batch, in.channels, height, width), count,
                batch);
        double[] roundedRaw = widen(checked(reference.forwardFloat32(in.x.clone(), batch, in.channels, height, width),
                count, batch));
        boolean centred = in.activation == Activation.SOFTMAX;
        double ownLogits = logitDiff(roundedRaw, exactRaw, batch, centred);
        double exportLogits = logitDiff(widen(ort.logits()), exactRaw, batch, centred);
        double scale = 0;
        for (double z : exactRaw) {
            if (Math.abs(z) > scale) { // false for NaN, which fails on its differences instead
                scale = Math.abs(z);
            }
        }
        double[] exact = in.activate(exactRaw);
        double own = maxAbsDiff(in.activate(roundedRaw), exact);
        if (tolerance.isPresent()) {
            return compare(model, in, ort.probabilities(), exact, tolerance.getAsDouble(), Basis.GIVEN, own,
                    exportLogits, Double.POSITIVE_INFINITY, ownLogits, scale);
        }
        double logitTolerance = derivedLogitTolerance(ownLogits, scale);
        return compare(model, in, ort.probabilities(), exact,
                probabilityTolerance(logitTolerance, in.activation, in.temperature), Basis.DERIVED, own, exportLogits,
                logitTolerance, ownLogits, scale);
    }

    /**
     * The logit tolerance the rule derives from a model's own float32-vs-float64 logit difference and the largest
     * |logit| of the float64 forward: {@code SENSITIVITY_FACTOR} times the former, at most {@link #LOGIT_CEILING}, at
     * least {@link #logitFloor}.
     */
    public static double derivedLogitTolerance(double float32LogitError, double logitScale) {
        double floor = logitFloor(logitScale);
        double scaled = SENSITIVITY_FACTOR * float32LogitError;
        if (!(scaled >= floor) || Double.isInfinite(scaled)) { // a float32 forward that is not finite earns no slack
            return floor;
        }
        return Math.max(floor, Math.min(scaled, LOGIT_CEILING));
    }

    /** {@link #LOGIT_FLOOR} times the largest |logit|, or times 1 where that is smaller (or unknown). */
    public static double logitFloor(double logitScale) {
        return logitScale > 1 && !Double.isInfinite(logitScale) ? LOGIT_FLOOR * logitScale : LOGIT_FLOOR;
    }

    /**
     * The probability tolerance that goes with a logit tolerance: the most a logit error within it can move the
     * outputs, plus {@link #TOLERANCE_FLOOR} for their own rounding. A softmax moves no probability by more than half
     * the largest centred logit error (each row of its Jacobian sums, in absolute value, to {@code 2 p (1 - p)}, at
     * most 1/2), divided by the temperature it divides the logits by; a sigmoid by more than a quarter (its slope).
     * Through a softmax never more than {@link #PROBABILITY_CEILING} beyond the floor, whatever the temperature: a
     * sharpening one (T below 1) would otherwise let probabilities move by up to half of them.
     */
    public static double probabilityTolerance(double logitTolerance, Activation activation, double temperature) {
        return TOLERANCE_FLOOR + switch (activation) {
            case SOFTMAX -> Math.min(0.5 / temperature * logitTolerance, PROBABILITY_CEILING);
            case SIGMOID -> 0.25 * logitTolerance;
            case NONE, AUTO -> logitTolerance; // the outputs are the logits
        };
    }

    /**
     * Exports, proves the export at the training size with the default seed, batch and tolerance against a single
     * reference, and only then writes the file; see
     * {@link #exportVerified(ExportOptions, ReferenceForward, long, int, int, int, double, Path)}.
     */
    public static Result exportVerified(ExportOptions options, ReferenceForward reference, Path out) {
        return exportVerified(options, reference, DEFAULT_SEED, DEFAULT_BATCH, options.inputHeight(),
                options.inputWidth(), DEFAULT_TOLERANCE, out);
    }

    /**
     * Exports, proves the export against {@code reference}, and writes it atomically to {@code out} only if the
     * largest difference is within {@code tolerance}. The proof is made on the float32 graph; an fp16 or int8 export is
     * made from that proven graph afterwards (its own cost in accuracy is what {@code PrecisionReport} measures).
     *
     * @throws GraftException if the export fails, the difference is too large (the message gives it), or the file
     *     cannot be written; in every case nothing is written and an existing file at {@code out} is untouched
     */
    public static Result exportVerified(ExportOptions options, ReferenceForward reference, long seed, int batch,
                                        int height, int width, double tolerance, Path out) {
        ModelProto model = OnnxExporter.exportFp32(options);
        return writeIfPassed(model, options, verify(model, reference, seed, batch, height, width, tolerance), out);
    }

    /**
     * Exports, proves the export against the trained model by the rule in the class comment at the training size with
     * the default seed and batch and the derived tolerance, and only then writes the file.
     *
     * @throws GraftException as {@link #proveAndWrite}
     */
    public static Result exportVerified(ExportOptions options, TrainedReference reference, Path out) {
        return proveAndWrite(OnnxExporter.exportFp32(options), options, reference, DEFAULT_SEED, DEFAULT_BATCH,
                options.inputHeight(), options.inputWidth(), OptionalDouble.empty(), out);
    }

    /**
     * Proves a float32 graph made from {@code options} (by {@link OnnxExporter#exportFp32}, or edited since) against
     * the trained model, and writes it atomically to {@code out}, at the options' precision, only if it passes.
     *
     * @throws GraftException if the graph cannot run, the proof refuses it ({@link Result#refusal}), or the file cannot
     *     be written; in every case nothing is written and an existing file at {@code out} is untouched
     */
    public static Result proveAndWrite(ModelProto fp32, ExportOptions options, TrainedReference reference, long seed,
                                       int batch, int height, int width, OptionalDouble tolerance, Path out) {
        return writeIfPassed(fp32, options, verify(fp32, reference, seed, batch, height, width, tolerance), out);
    }

    private static Result writeIfPassed(ModelProto fp32, ExportOptions options, Result r, Path out) {
        if (!r.passed()) {
            throw new GraftException(r.refusal(out));
        }
        OnnxFiles.writeAtomically(OnnxExporter.lowerPrecision(fp32, options, QuantProgress.NONE), out);
        return r;
    }

    private static void checkTolerance(double tolerance) {
        if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
            throw new GraftException("the proof tolerance must be zero or positive and finite, not " + tolerance);
        }
    }

    /** The seeded proof batch; {@code temperature} divides the reference's logits as the graph's folded Mul does. */
    private record Input(float[] x, int batch, int channels, int height, int width, long seed, Activation activation,
                         double temperature) {
        double[] activate(double[] raw) {
            double[] scaled = raw;
            if (temperature != 1) {
                scaled = new double[raw.length];
                for (int i = 0; i < raw.length; i++) {
                    scaled[i] = raw[i] / temperature;
                }
            }
            return ExportProof.activate(scaled, batch, raw.length / batch, activation);
        }
    }

    private static Input input(ModelProto model, long seed, int batch, int height, int width) {
        if (batch <= 0 || height <= 0 || width <= 0) {
            throw new GraftException("the proof input must have a positive batch and size, not " + batch + "x"
                    + height + "x" + width);
        }
        Map<String, String> meta = OnnxExporter.metadata(model);
        String act = meta.get(GraftMetadata.ACTIVATION);
        if (act == null) {
            throw new GraftException("the model has no " + GraftMetadata.ACTIVATION + " metadata; it is not a Graft export");
        }
        Activation activation = Activation.fromMetadata(act);
        int channels = inputChannels(model);
        int count = Math.multiplyExact(Math.multiplyExact(batch, channels), Math.multiplyExact(height, width));
        float[] x = new float[count];
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            x[i] = (float) random.nextGaussian();
        }
        String t = meta.get(GraftMetadata.TEMPERATURE);
        double temperature = 1;
        if (t != null) {
            try {
                temperature = Double.parseDouble(t);
            } catch (NumberFormatException e) {
                temperature = Double.NaN;
            }
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new GraftException("bad " + GraftMetadata.TEMPERATURE + " '" + t + "': must be positive and finite");
            }
            if (activation != Activation.SOFTMAX) {
                throw new GraftException("the model has a " + GraftMetadata.TEMPERATURE + " but its activation is "
                        + act + "; a temperature scales the logits before a softmax");
            }
        }
        return new Input(x, batch, channels, height, width, seed, activation, temperature);
    }

    /** ONNX Runtime's probabilities and, where asked for, the logits they were computed from. */
    private record OrtOutputs(float[] probabilities, float[] logits) {
    }

    /**
     * Runs the graph as it will be written for its probabilities and, with {@code withLogits}, a copy that also
     * outputs its {@code logits} tensor for those (an extra graph output can change which rewrites ONNX Runtime makes
     * around that tensor, so the probabilities judged are always the written graph's own).
     */
    private static OrtOutputs runOrt(ModelProto model, Input in, boolean withLogits) {
        long[] shape = {in.batch, in.channels, in.height, in.width};
        float[] probabilities;
        try (OrtRunner ort = OrtRunner.open(model, OptLevel.ALL_OPT)) {
            probabilities = ort.run(GraftMetadata.INPUT_NAME, in.x, shape, GraftMetadata.OUTPUT_NAME);
        }
        if (!withLogits || in.activation == Activation.NONE) {
            return new OrtOutputs(probabilities, withLogits ? probabilities : null);
        }
        try (OrtRunner ort = OrtRunner.open(withLogitsOutput(model, in.activation), OptLevel.ALL_OPT)) {
            FloatTensor logits = ort.runAll(GraftMetadata.INPUT_NAME, in.x, shape).get(GraftMetadata.LOGITS_NAME);
            if (logits == null || logits.data().length != probabilities.length) {
                throw new GraftException("the model's '" + GraftMetadata.LOGITS_NAME + "' tensor does not hold one"
                        + " value per output; it is not a Graft export");
            }
            return new OrtOutputs(probabilities, logits.data());
        }
    }

    /**
     * The graph with its {@code logits} tensor (what the activation reads) as a second output, for the proof to read;
     * the graph as given is what is judged in probabilities and written.
     */
    static ModelProto withLogitsOutput(ModelProto model, Activation activation) {
        GraphProto graph = model.getGraph();
        if (activation == Activation.NONE
                || graph.getOutputList().stream().anyMatch(v -> v.getName().equals(GraftMetadata.LOGITS_NAME))) {
            return model;
        }
        boolean produced = graph.getNodeList().stream().anyMatch(
                n -> n.getOutputList().contains(GraftMetadata.LOGITS_NAME));
        ValueInfoProto output = graph.getOutputList().stream()
                .filter(v -> v.getName().equals(GraftMetadata.OUTPUT_NAME)).findFirst().orElse(null);
        if (!produced || output == null) {
            throw new GraftException("the model has no '" + GraftMetadata.LOGITS_NAME + "' tensor feeding its "
                    + GraftMetadata.OUTPUT_NAME + "; it is not a Graft export");
        }
        return model.toBuilder().setGraph(graph.toBuilder()
                .addOutput(output.toBuilder().setName(GraftMetadata.LOGITS_NAME))).build();
    }

    private static <T> T checked(T raw, int expected, int batch) {
        int length = raw == null ? -1 : raw instanceof float[] f ? f.length : ((double[]) raw).length;
        if (length != expected) {
            throw new GraftException("the reference model returned " + (raw == null ? "nothing" : length + " values")
                    + " for a batch of " + batch + "; the export returns " + expected);
        }
        return raw;
    }

    private static Result compare(ModelProto model, Input in, float[] actual, double[] expected, double tolerance,
                                  Basis basis, double float32Error, double logitDiff, double logitTolerance,
                                  double float32LogitError, double logitScale) {
        double max = maxAbsDiff(widen(actual), expected);
        int classes = actual.length / in.batch;
        int checked = 0;
        int disagreement = -1;
        int exportTop = -1;
        int referenceTop = -1;
        double lead = 0;
        if (in.activation != Activation.NONE && classes >= 2) {
            for (int b = 0; b < in.batch; b++) {
                int row = b * classes;
                int top = 0;
                int mine = 0;
                for (int k = 1; k < classes; k++) {
                    if (expected[row + k] > expected[row + top]) {
                        top = k;
                    }
                    if (actual[row + k] > actual[row + mine]) {
                        mine = k;
                    }
                }
                double second = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    if (k != top) {
                        second = Math.max(second, expected[row + k]);
                    }
                }
                if (expected[row + top] - second > tolerance) {
                    checked++;
                    if (mine != top && disagreement < 0) {
                        disagreement = b;
                        exportTop = mine;
                        referenceTop = top;
                        lead = expected[row + top] - expected[row + mine];
                    }
                }
            }
        }
        return new Result(max, tolerance, in.seed, in.batch, in.height, in.width, OnnxExporter.opHistogram(model),
                basis, float32Error, checked, disagreement, exportTop, referenceTop, lead, logitDiff, logitTolerance,
                float32LogitError, in.activation == Activation.SOFTMAX, logitScale, in.temperature);
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    /**
     * The largest logit difference over the batch; with {@code centred}, each image's differences less their mean
     * over the classes (the part a softmax sees). Infinite where either side is NaN.
     */
    static double logitDiff(double[] a, double[] b, int batch, boolean centred) {
        int classes = a.length / batch;
        double max = 0;
        for (int i = 0; i < batch; i++) {
            int row = i * classes;
            double mean = 0;
            if (centred) {
                for (int k = 0; k < classes; k++) {
                    mean += a[row + k] - b[row + k];
                }
                mean /= classes;
            }
            for (int k = 0; k < classes; k++) {
                double d = Math.abs(a[row + k] - b[row + k] - mean);
                if (Double.isNaN(d)) {
                    return Double.POSITIVE_INFINITY;
                }
                max = Math.max(max, d);
            }
        }
        return max;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static int inputChannels(ModelProto model) {
        for (ValueInfoProto v : model.getGraph().getInputList()) {
            if (v.getName().equals(GraftMetadata.INPUT_NAME)) {
                TensorShapeProto shape = v.getType().getTensorType().getShape();
                if (shape.getDimCount() == 4 && shape.getDim(1).hasDimValue()) {
                    return Math.toIntExact(shape.getDim(1).getDimValue());
                }
            }
        }
        throw new GraftException("the model has no input '" + GraftMetadata.INPUT_NAME
                + "' of shape [batch, channels, height, width]; it is not a Graft export");
    }

    private static double[] activate(double[] raw, int batch, int classes, Activation activation) {
        double[] out = new double[raw.length];
        for (int b = 0; b < batch; b++) {
            int row = b * classes;
            switch (activation) {
                case SOFTMAX -> {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < classes; k++) {
                        max = Math.max(max, raw[row + k]);
                    }
                    double sum = 0;
                    for (int k = 0; k < classes; k++) {
                        out[row + k] = Math.exp(raw[row + k] - max);
                        sum += out[row + k];
                    }
                    for (int k = 0; k < classes; k++) {
                        out[row + k] /= sum;
                    }
                }
                case SIGMOID -> {
                    for (int k = 0; k < classes; k++) {
                        out[row + k] = 1 / (1 + Math.exp(-raw[row + k]));
                    }
                }
                case NONE, AUTO -> System.arraycopy(raw, row, out, row, classes);
                default -> throw new AssertionError(activation);
            }
        }
        return out;
    }
}
