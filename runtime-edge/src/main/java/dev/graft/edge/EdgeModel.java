package dev.graft.edge;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.graft.files.ByteCapExceededException;
import dev.graft.files.FileRefusedException;
import dev.graft.files.InputFiles;
import dev.graft.image.BadImageException;
import dev.graft.image.ImageDecoder;
import dev.graft.image.ImageException;
import dev.graft.image.PixelBuffer;
import dev.graft.image.Preprocessor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An image classifier exported by Graft, running in ONNX Runtime: from an image file, bytes, a {@link BufferedImage} or a
 * tensor to labels in one call.
 *
 * <p>This is what a Java application embeds. It reads the model's {@code graft.*} metadata (see {@link ModelMetadata})
 * so the caller never restates the input size, normalisation or labels, and it preprocesses exactly as Graft's trainer
 * validates (see {@link Preprocessor}), so a deployed model sees the numbers it was measured on.
 *
 * <pre>{@code
 * try (EdgeModel model = EdgeModel.load(Path.of("model.onnx"), EdgeOptions.defaults())) {
 *     Prediction p = model.predict(Path.of("cat.jpg"));
 *     p.answer().forEach(s -> System.out.println(s.label() + " " + s.score()));
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> One instance serves any number of threads: ONNX Runtime sessions are thread-safe, and each call
 * borrows a workspace (decoded pixels, input tensor, output tensor, all in reusable direct buffers) from a pool, so the
 * steady state allocates no pixel-sized arrays. {@link #close()} waits for running calls to finish.
 *
 * <p><b>Devices.</b> {@code auto} and {@code cuda} need the {@code onnxruntime_gpu} artifact (Maven profile
 * {@code -Pcuda}) and CUDA 12 with cuDNN 9; where either is missing the model runs on the CPU, the reason is logged
 * once per process and kept in {@link #deviceNote()}, and {@link #device()} says what actually runs.
 *
 * <p><b>Errors.</b> Every failure is an {@link EdgeException} with a one-line message; one caused by the input alone is
 * a {@link BadInputException}, after which the model is as usable as before; a failure inside ONNX Runtime on an input
 * that passed every check is an {@link EngineException} (the model's fault, not the caller's).
 */
public final class EdgeModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeModel.class);
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
    /** Pixel buffers up to this size (a 16-megapixel photo) stay with their workspace; larger ones are let go. */
    private static final int KEEP_PIXELS = 16 << 20;
    /** How messages name a model loaded from bytes. */
    private static final String BYTES_NAME = "the model";

    private final String name;
    private final EdgeOptions options;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final OrtSession.SessionOptions sessionOptions;
    private final Device device;
    private final String deviceNote;
    private final ModelMetadata metadata;
    private final String inputName;
    private final String outputName;
    private final int channels;
    private final int numOutputs;
    private final Preprocessor preprocessor;
    private final String preprocessorProblem;
    private final ConcurrentLinkedDeque<Workspace> pool = new ConcurrentLinkedDeque<>();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private EdgeModel(String name, EdgeOptions options, OrtEnvironment env, Opened opened) {
        this.name = name;
        this.options = options;
        this.env = env;
        this.session = opened.session;
        this.sessionOptions = opened.options;
        this.device = opened.device;
        this.deviceNote = opened.note;
        try {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            this.inputName = inputs.containsKey(MetadataKeys.INPUT_NAME) ? MetadataKeys.INPUT_NAME
                    : inputs.keySet().iterator().next();
            this.outputName = outputs.containsKey(MetadataKeys.OUTPUT_NAME) ? MetadataKeys.OUTPUT_NAME
                    : outputs.keySet().iterator().next();
            if (inputs.size() != 1) {
                throw new EdgeException(name + " has " + inputs.size() + " inputs " + inputs.keySet()
                        + "; runtime-edge runs image models with one float input [batch, channels, height, width]");
            }
            long[] inShape = floatShape(inputs.get(inputName), "input", 4);
            long[] outShape = floatShape(outputs.get(outputName), "output", 2);
            this.metadata = ModelMetadata.read(session.getMetadata().getCustomMetadata(), inShape, outShape);
            this.channels = metadata.channels().length();
            this.numOutputs = metadata.numOutputs();
        } catch (OrtException e) {
            throw new EdgeException("ONNX Runtime cannot describe " + name + ": " + EdgeException.oneLine(e), e);
        }
        Preprocessor p = null;
        String problem = null;
        try {
            p = new Preprocessor(metadata.inputHeight(), metadata.inputWidth(), metadata.resize(), metadata.channels(),
                    metadata.mean(), metadata.std());
        } catch (ImageException e) {
            problem = e.getMessage();
        }
        this.preprocessor = p;
        this.preprocessorProblem = problem;
        if (options.logNotes()) {
            for (String note : metadata.assumptions()) {
                logOnce("warn", (name.equals(BYTES_NAME) ? "" : name + ": ") + note);
            }
        }
        String slow = lowerPrecisionNote(metadata.precision(), options.optimization());
        if (slow != null) {
            logOnce("warn", (name.equals(BYTES_NAME) ? "" : name + ": ") + slow);
        }
    }

    /**
     * Why a lower-precision model will disappoint at the chosen optimisation level, or null. ONNX Runtime fuses an int8
     * model's QuantizeLinear/DequantizeLinear pairs into integer kernels only at level {@code all}; below it the model
     * runs as float32 with extra work in between (measured on resnet18: 2x slower at extended, slower than float32 at
     * basic). The default is {@code all}, so this only speaks when an application chose a lower level.
     */
    static String lowerPrecisionNote(String precision, EdgeOptions.Optimization level) {
        if (precision.equals("int8") && level != EdgeOptions.Optimization.ALL) {
            return "an int8 model runs its integer kernels only at optimisation level all; at "
                    + level.name().toLowerCase(Locale.ROOT)
                    + " it runs as float32 with quantise/dequantise steps in between, slower than at all";
        }
        return null;
    }

    private String describe(String what, NodeInfo info) {
        return what + " '" + info.getName() + "' " + info.getInfo();
    }

    private long[] floatShape(NodeInfo info, String what, int rank) {
        if (!(info.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT || t.getShape().length != rank) {
            throw new EdgeException(name + ": the graph's " + describe(what, info) + " is not a float tensor of rank "
                    + rank + "; runtime-edge runs image models, input [batch, channels, height, width], output"
                    + " [batch, classes]");
        }
        return t.getShape();
    }

    /**
     * Loads a model file.
     *
     * @throws EdgeException if the file is missing, empty, not an ONNX model, or not an image model
     */
    public static EdgeModel load(Path file, EdgeOptions options) {
        Objects.requireNonNull(file, "file");
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new EdgeException("cannot read the model " + file + ": " + ioReason(e), e);
        }
        if (!Files.isRegularFile(file)) {
            // a directory, or a device or FIFO that ONNX Runtime would read without end
            throw new EdgeException("cannot read the model " + file + ": it is " + InputFiles.kind(file)
                    + ", not a regular file");
        }
        // ONNX Runtime reads the file itself: no copy of the weights on the Java heap.
        return load(new Sessions.Source(file.toString(), file, null, size), options);
    }

    /** Loads a model file with {@link EdgeOptions#defaults()}. */
    public static EdgeModel load(Path file) {
        return load(file, EdgeOptions.defaults());
    }

    /**
     * Loads a model held in memory (e.g. a resource or a download).
     *
     * @throws EdgeException if the bytes are empty, not an ONNX model, or not an image model
     */
    public static EdgeModel load(byte[] model, EdgeOptions options) {
        Objects.requireNonNull(model, "model");
        return load(new Sessions.Source(BYTES_NAME, null, model, model.length), options);
    }

    private static EdgeModel load(Sessions.Source source, EdgeOptions options) {
        Objects.requireNonNull(options, "options");
        if (source.size() == 0) {
            throw new EdgeException(source.name() + " is empty (0 bytes), not an ONNX model");
        }
        OrtEnvironment env = environment();
        Opened opened = Sessions.open(env, source, options);
        try {
            return new EdgeModel(source.name(), options, env, opened);
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private static synchronized OrtEnvironment environment() {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try {
            env.setTelemetry(false);
        } catch (OrtException e) {
            throw new EdgeException("ONNX Runtime cannot start: " + EdgeException.oneLine(e), e);
        }
        return env;
    }

    static String ioReason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return EdgeException.oneLine(e);
    }

    /** Logs a line once per process (device fallbacks, metadata assumptions), however many models are loaded. */
    static void logOnce(String level, String message) {
        if (LOGGED.add(message)) {
            if (level.equals("warn")) {
                LOG.warn(message);
            } else {
                LOG.info(message);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- predict

    /**
     * Predicts from an image file.
     *
     * @throws BadInputException if the file cannot be read or is not a usable image (the message names the file)
     */
    public Prediction predict(Path imageFile) {
        return predictBatch(List.of(EdgeInput.of(imageFile))).get(0);
    }

    /** Predicts from an encoded image (JPEG, PNG, ...), e.g. an upload. */
    public Prediction predict(byte[] encodedImage) {
        return predictBatch(List.of(EdgeInput.of(encodedImage))).get(0);
    }

    /** Predicts from a decoded image. */
    public Prediction predict(BufferedImage image) {
        return predictBatch(List.of(EdgeInput.of(image))).get(0);
    }

    /**
     * Predicts from a preprocessed tensor: {@link #inputChannels()} x {@link #inputHeight()} x {@link #inputWidth()}
     * floats, normalised as the model expects.
     *
     * @throws BadInputException if the length does not match
     */
    public Prediction predict(float[] chw) {
        return predictBatch(List.of(EdgeInput.ofTensor(chw))).get(0);
    }

    /**
     * Predicts a batch in one run of the graph; the inputs may be of different kinds and sizes (each is brought to the
     * model's size).
     *
     * @return one prediction per input, in order
     * @throws BadInputException if any input is unusable; the message says which (by position) and why
     */
    public List<Prediction> predictBatch(List<? extends EdgeInput> inputs) {
        Objects.requireNonNull(inputs, "inputs");
        if (inputs.isEmpty()) {
            return List.of();
        }
        int n = inputs.size();
        int per = channels * metadata.inputHeight() * metadata.inputWidth();
        float[] out;
        int k;
        lifecycle.readLock().lock();
        Workspace ws = null;
        try {
            ensureOpen();
            ws = borrow();
            float[] chw = ws.chw((long) n * per);
            for (int i = 0; i < n; i++) {
                try {
                    fill(inputs.get(i), ws, chw, i * per, per);
                } catch (BadInputException e) {
                    throw n == 1 ? e : new BadInputException("input " + i + " of " + n + ": " + e.getMessage(), e);
                }
            }
            out = ws.run(chw, n, metadata.inputHeight(), metadata.inputWidth());
            k = out.length / n;
        } finally {
            if (ws != null) {
                giveBack(ws);
            }
            lifecycle.readLock().unlock();
        }
        List<Prediction> predictions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] row = Arrays.copyOfRange(out, i * k, (i + 1) * k);
            requireFinite(row, i, n);
            Activations.apply(metadata.task(), metadata.activation(), row);
            predictions.add(new Prediction(metadata.task(), row, metadata.labels(), options.topK(),
                    metadata.threshold(), device));
        }
        return Collections.unmodifiableList(predictions);
    }

    /**
     * A NaN or an infinity in the graph's output is no answer: a softmax or sort over it yields "probabilities" that
     * mean nothing (NaN compares as neither larger nor smaller). Images and checked tensors are finite, so the model
     * itself computed it (weights holding NaN, or an overflow inside the graph); it is refused, never reported.
     */
    private void requireFinite(float[] row, int index, int n) {
        for (int j = 0; j < row.length; j++) {
            if (!Float.isFinite(row[j])) {
                throw new NonFiniteOutputException(name + " computed " + row[j] + " for output " + j
                        + (n == 1 ? "" : " of input " + index + " of " + n)
                        + "; a non-finite output is no prediction (the model's weights or its arithmetic overflowed)");
            }
        }
    }

    /**
     * Runs the graph on a raw batch and returns its output as is (no activation applied, no labels): {@code n} rows of
     * {@link #numOutputs()} floats. For benchmarks and callers with their own preprocessing.
     *
     * @param nchw {@code n x channels x height x width} floats
     * @throws BadInputException if the length does not match the shape
     */
    public float[] runTensor(float[] nchw, int n, int height, int width) {
        Objects.requireNonNull(nchw, "nchw");
        if (n < 1 || height < 1 || width < 1) {
            throw new BadInputException("a batch needs n, height and width of at least 1, not " + n + ", " + height
                    + ", " + width);
        }
        long want = (long) n * channels * height * width;
        if (nchw.length != want) {
            throw new BadInputException("the tensor has " + nchw.length + " floats; a batch of " + n + " x " + channels
                    + " x " + height + " x " + width + " needs " + want);
        }
        lifecycle.readLock().lock();
        Workspace ws = null;
        try {
            ensureOpen();
            ws = borrow();
            return ws.run(nchw, n, height, width);
        } finally {
            if (ws != null) {
                giveBack(ws);
            }
            lifecycle.readLock().unlock();
        }
    }

    /** {@link #runTensor(float[], int, int, int)} at the model's input size. */
    public float[] runTensor(float[] nchw, int n) {
        return runTensor(nchw, n, metadata.inputHeight(), metadata.inputWidth());
    }

    /**
     * The tensor the model would be given for an encoded image: {@code channels x height x width} floats.
     *
     * @throws BadInputException if the image is unusable
     */
    public float[] preprocess(byte[] encodedImage) {
        return preprocess(EdgeInput.of(encodedImage));
    }

    /** The tensor the model would be given for a decoded image. */
    public float[] preprocess(BufferedImage image) {
        return preprocess(EdgeInput.of(image));
    }

    private float[] preprocess(EdgeInput input) {
        int per = channels * metadata.inputHeight() * metadata.inputWidth();
        float[] out = new float[per];
        lifecycle.readLock().lock();
        Workspace ws = null;
        try {
            ensureOpen();
            ws = borrow();
            fill(input, ws, out, 0, per);
            return out;
        } finally {
            if (ws != null) {
                giveBack(ws);
            }
            lifecycle.readLock().unlock();
        }
    }

    private void fill(EdgeInput input, Workspace ws, float[] dst, int offset, int per) {
        if (input instanceof EdgeInput.Tensor t) {
            if (t.chw().length != per) {
                throw new BadInputException("the tensor has " + t.chw().length + " floats; the model takes " + channels
                        + " x " + metadata.inputHeight() + " x " + metadata.inputWidth() + " = " + per
                        + " (channels " + metadata.channels() + ")");
            }
            for (int j = 0; j < per; j++) {
                if (!Float.isFinite(t.chw()[j])) {
                    throw new BadInputException("the tensor holds " + t.chw()[j] + " at index " + j
                            + "; the model takes finite values");
                }
            }
            System.arraycopy(t.chw(), 0, dst, offset, per);
            return;
        }
        if (preprocessor == null) {
            throw new EdgeException(name + " cannot take images: " + preprocessorProblem);
        }
        if (input instanceof EdgeInput.File f) {
            byte[] bytes;
            try {
                // a regular file within the byte limit only: /dev/zero or a FIFO would never end
                bytes = InputFiles.readAllBytes(f.path(), options.maxImageBytes(), null);
            } catch (ByteCapExceededException e) {
                throw new ImageTooLargeException(e.getMessage(), options.maxImageBytes(), e);
            } catch (FileRefusedException e) {
                throw new BadInputException(e.getMessage(), e);
            } catch (IOException e) {
                throw new BadInputException("cannot read " + f.path() + ": " + ioReason(e), e);
            }
            try {
                ImageDecoder.decode(bytes, options.maxPixels(), ws.pixels);
            } catch (BadImageException e) {
                throw new BadInputException(f.path() + ": " + e.getMessage(), e);
            }
        } else if (input instanceof EdgeInput.Encoded e) {
            if (e.bytes().length > options.maxImageBytes()) {
                throw new ImageTooLargeException(InputFiles.tooLarge("the image", e.bytes().length,
                        options.maxImageBytes(), null).getMessage(), options.maxImageBytes(), null);
            }
            try {
                ImageDecoder.decode(e.bytes(), options.maxPixels(), ws.pixels);
            } catch (BadImageException b) {
                throw new BadInputException(b.getMessage(), b);
            }
        } else if (input instanceof EdgeInput.Image im) {
            try {
                ImageDecoder.fromImage(im.image(), options.maxPixels(), ws.pixels);
            } catch (BadImageException b) {
                throw new BadInputException(b.getMessage(), b);
            }
        } else {
            throw new IllegalArgumentException("unknown input " + input);
        }
        preprocessor.apply(ws.pixels, ws.scratch, dst, offset);
    }

    private void giveBack(Workspace ws) {
        ws.pixels.trim(KEEP_PIXELS);
        if (ws.scratch != null) {
            ws.scratch.trim(KEEP_PIXELS);
        }
        pool.push(ws);
    }

    private Workspace borrow() {
        Workspace ws = pool.poll();
        return ws != null ? ws : new Workspace();
    }

    private void ensureOpen() {
        if (closed) {
            throw new EdgeException(name + " is closed");
        }
    }

    // -------------------------------------------------------------------------------------------------- describe

    /** Everything the model's metadata says, with the assumptions made where it is silent. */
    public ModelMetadata metadata() {
        return metadata;
    }

    public Task task() {
        return metadata.task();
    }

    /** Class names in output order. */
    public List<String> labels() {
        return metadata.labels();
    }

    public int inputHeight() {
        return metadata.inputHeight();
    }

    public int inputWidth() {
        return metadata.inputWidth();
    }

    public int inputChannels() {
        return channels;
    }

    /** Outputs per image, or -1 if neither the graph nor the metadata says. */
    public int numOutputs() {
        return numOutputs;
    }

    /** {@code fp32} unless the model says otherwise. */
    public String precision() {
        return metadata.precision();
    }

    /** The device the graph actually runs on. */
    public Device device() {
        return device;
    }

    /** Why the requested device is not the one running, if it is not. */
    public Optional<String> deviceNote() {
        return Optional.ofNullable(deviceNote);
    }

    public EdgeOptions options() {
        return options;
    }

    /** The ONNX Runtime version running the model. */
    public String runtimeVersion() {
        return env.getVersion();
    }

    /** Releases the session and every workspace; waits for running predictions. Closing twice is harmless. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Workspace ws;
            while ((ws = pool.poll()) != null) {
                ws.close();
            }
            try {
                session.close();
            } catch (OrtException e) {
                throw new EdgeException("ONNX Runtime failed to close " + name + ": " + EdgeException.oneLine(e), e);
            } finally {
                sessionOptions.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "EdgeModel[" + name + ", " + metadata.arch() + ", " + metadata.task().metadataValue() + ", "
                + metadata.inputHeight() + "x" + metadata.inputWidth() + ", " + device + "]";
    }

    /** An open session and what it runs on. */
    record Opened(OrtSession session, OrtSession.SessionOptions options, Device device, String note) {
        void close() {
            try {
                session.close();
            } catch (OrtException ignored) {
                // already failing
            } finally {
                options.close();
            }
        }
    }

    /**
     * One thread's buffers: decoded pixels, preprocessing scratch, the batch as floats, and the direct buffers ONNX
     * Runtime reads and writes without copying, with their tensors kept while the shape repeats.
     */
    private final class Workspace implements AutoCloseable {
        final PixelBuffer pixels = new PixelBuffer();
        final Preprocessor.Scratch scratch = preprocessor == null ? null : preprocessor.newScratch();
        private float[] chw = new float[0];
        private FloatBuffer in;
        private FloatBuffer out;
        private OnnxTensor inTensor;
        private OnnxTensor outTensor;
        private final long[] shape = new long[4];

        float[] chw(long floats) {
            if (floats > Integer.MAX_VALUE - 8) {
                throw new BadInputException("the batch is too large: " + floats + " floats");
            }
            if (chw.length < floats) {
                chw = new float[(int) floats];
            }
            return chw;
        }

        /** Runs the graph on the first n*c*h*w floats of {@code data}; returns the output rows. */
        float[] run(float[] data, int n, int h, int w) {
            int count = n * channels * h * w;
            try {
                if (inTensor == null || shape[0] != n || shape[2] != h || shape[3] != w) {
                    closeTensors();
                    if (in == null || in.capacity() < count) {
                        in = ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
                    }
                    shape[0] = n;
                    shape[1] = channels;
                    shape[2] = h;
                    shape[3] = w;
                    in.clear().limit(count);
                    inTensor = OnnxTensor.createTensor(env, in.slice(), shape.clone());
                    if (numOutputs > 0) {
                        int outCount = n * numOutputs;
                        if (out == null || out.capacity() < outCount) {
                            out = ByteBuffer.allocateDirect(outCount * Float.BYTES).order(ByteOrder.nativeOrder())
                                    .asFloatBuffer();
                        }
                        out.clear().limit(outCount);
                        outTensor = OnnxTensor.createTensor(env, out.slice(), new long[] {n, numOutputs});
                    }
                }
                in.clear();
                in.put(data, 0, count);
                if (outTensor != null) {
                    try (OrtSession.Result ignored = session.run(Map.of(inputName, inTensor),
                            Map.of(outputName, outTensor))) {
                        float[] result = new float[n * numOutputs];
                        out.clear();
                        out.get(result);
                        return result;
                    }
                }
                try (OrtSession.Result result = session.run(Map.of(inputName, inTensor), Set.of(outputName))) {
                    OnnxValue v = result.get(0);
                    FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
                    float[] r = new float[fb.remaining()];
                    fb.get(r);
                    return r;
                }
            } catch (OrtException | RuntimeException e) {
                if (e instanceof EdgeException ee) {
                    throw ee;
                }
                closeTensors();
                String batch = Arrays.toString(new long[] {n, channels, h, w});
                if (isInputRejected(e)) {
                    throw new BadInputException("ONNX Runtime rejected a batch of shape " + batch + ": "
                            + EdgeException.oneLine(e), e);
                }
                throw new EngineException("ONNX Runtime failed running a batch of shape " + batch + ": "
                        + EdgeException.oneLine(e), e);
            }
        }

        /**
         * Whether ONNX Runtime refused the input tensor itself: an invalid-argument error about the input (a size the
         * graph's fixed dimensions do not allow). Everything else, including an invalid argument about the output (a
         * graph whose output shape does not follow the batch), happened inside the engine on an input that passed
         * every check here, and is the model's fault.
         */
        private boolean isInputRejected(Exception e) {
            return e instanceof OrtException oe && oe.getCode() == OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT
                    && String.valueOf(oe.getMessage()).contains("for input");
        }

        private void closeTensors() {
            if (inTensor != null) {
                inTensor.close();
                inTensor = null;
            }
            if (outTensor != null) {
                outTensor.close();
                outTensor = null;
            }
        }

        @Override
        public void close() {
            closeTensors();
        }
    }

    /** Activation applied on the Java side when the graph's output is not already probabilities. */
    static final class Activations {
        private Activations() {
        }

        static void apply(Task task, ModelMetadata.Activation activation, float[] row) {
            switch (task) {
                case SINGLE_LABEL -> {
                    if (activation == ModelMetadata.Activation.NONE
                            || (activation == ModelMetadata.Activation.UNKNOWN && !isDistribution(row))) {
                        softmax(row);
                    }
                }
                case MULTI_LABEL -> {
                    if (activation == ModelMetadata.Activation.NONE
                            || (activation == ModelMetadata.Activation.UNKNOWN && !inUnitRange(row))) {
                        for (int i = 0; i < row.length; i++) {
                            row[i] = (float) (1 / (1 + Math.exp(-row[i])));
                        }
                    }
                }
                case REGRESSION -> {
                    // values as they are
                }
                default -> throw new IllegalStateException(task.toString());
            }
        }

        static boolean inUnitRange(float[] row) {
            for (float v : row) {
                if (!(v >= 0 && v <= 1)) {
                    return false;
                }
            }
            return true;
        }

        static boolean isDistribution(float[] row) {
            double sum = 0;
            for (float v : row) {
                sum += v;
            }
            return inUnitRange(row) && Math.abs(sum - 1) < 1e-3;
        }

        static void softmax(float[] row) {
            double max = Double.NEGATIVE_INFINITY;
            for (float v : row) {
                max = Math.max(max, v);
            }
            double sum = 0;
            double[] e = new double[row.length];
            for (int i = 0; i < row.length; i++) {
                e[i] = Math.exp(row[i] - max);
                sum += e[i];
            }
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) (e[i] / sum);
            }
        }
    }
}
