package dev.graft.benchmarks.latency;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * What {@link EdgeModel} costs around the model, printed:
 * <ol>
 *   <li>batch-1 median latency through {@link EdgeModel} versus the raw ONNX Runtime Java API on a session with the
 *       same settings, in the same process (target: overhead at most 3%);</li>
 *   <li>a 640 x 480 JPEG to top-5 versus a ready tensor, both through {@link EdgeModel} (target: at most 1.25x).</li>
 * </ol>
 * The two sides run in alternating blocks so that load on the machine drifts over both alike. The figures in
 * docs/verified.md are resnet18 at 224 x 224:
 *
 * <pre>
 * ./graft export --weights ../shared/golden/resnet18_c3_64.fastai.safetensors --arch resnet18 --classes 3 --size 224 \
 *     --out r18_224.onnx
 * java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.EdgeOverhead r18_224.onnx [threads] [rounds]
 * </pre>
 * Threads default to 1 intra-op thread, rounds to 15 (of 20 runs per side).
 */
public final class EdgeOverhead {
    private static final int PER_BLOCK = 20;

    private EdgeOverhead() {
    }

    interface Call {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: EdgeOverhead MODEL.onnx [threads] [rounds]");
            System.exit(2);
        }
        byte[] onnx = Files.readAllBytes(Path.of(args[0]));
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        byte[] jpeg = jpeg(picture(640, 480, 42));
        System.out.printf(Locale.ROOT, "machine: %d CPUs, load average %s; intra-op threads %d; %d x %d runs per side%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), threads, rounds, PER_BLOCK);

        EdgeOptions options = EdgeOptions.builder().optDevice("cpu").optIntraOpThreads(threads).build();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (EdgeModel model = EdgeModel.load(onnx, options);
             OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setIntraOpNumThreads(threads);
            int h = model.inputHeight();
            int w = model.inputWidth();
            float[] tensor = new float[3 * h * w];
            Random rnd = new Random(1);
            for (int i = 0; i < tensor.length; i++) {
                tensor[i] = (float) rnd.nextGaussian();
            }
            try (OrtSession raw = env.createSession(onnx, so)) {
                long[] shape = {1, 3, h, w};
                Call rawCall = () -> {
                    // What an application writes against ONNX Runtime directly: wrap, run, read the scores.
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensor), shape);
                         OrtSession.Result r = raw.run(Map.of("input", in))) {
                        float[][] out = (float[][]) r.get(0).getValue();
                        if (out.length != 1) {
                            throw new IllegalStateException("one row expected, got " + out.length);
                        }
                    }
                };
                Call edgeCall = () -> model.predict(tensor).answer();
                for (int i = 0; i < 30; i++) {
                    rawCall.run();
                    edgeCall.run();
                }
                double[] t = time(edgeCall, rawCall, rounds);
                System.out.printf(Locale.ROOT, "%dx%d batch 1: EdgeModel.predict(tensor) p50 %.2f ms (p90 %.2f),"
                        + " raw ONNX Runtime API p50 %.2f ms (p90 %.2f): overhead %+.1f%% (target <= 3%%)%n",
                        h, w, t[0], t[2], t[1], t[3], 100 * (t[0] / t[1] - 1));
                Call jpegCall = () -> model.predict(jpeg).top(5);
                for (int i = 0; i < 30; i++) {
                    jpegCall.run();
                }
                double[] j = time(jpegCall, edgeCall, rounds);
                System.out.printf(Locale.ROOT, "JPEG 640x480 to top-5 p50 %.2f ms (p90 %.2f), tensor-only p50 %.2f ms"
                        + " (p90 %.2f): %.3fx (target <= 1.25x)%n", j[0], j[2], j[1], j[3], j[0] / j[1]);
                double[] pre = new double[200];
                for (int i = 0; i < pre.length; i++) {
                    long s = System.nanoTime();
                    model.preprocess(jpeg);
                    pre[i] = (System.nanoTime() - s) / 1e6;
                }
                System.out.printf(Locale.ROOT, "  of which JPEG decode + resize + normalise alone: p50 %.2f ms%n",
                        percentile(pre, 50));
            }
        }
    }

    private static double[] time(Call a, Call b, int rounds) throws Exception {
        double[] ta = new double[rounds * PER_BLOCK];
        double[] tb = new double[rounds * PER_BLOCK];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < PER_BLOCK; i++) {
                long s = System.nanoTime();
                a.run();
                ta[r * PER_BLOCK + i] = (System.nanoTime() - s) / 1e6;
            }
            for (int i = 0; i < PER_BLOCK; i++) {
                long s = System.nanoTime();
                b.run();
                tb[r * PER_BLOCK + i] = (System.nanoTime() - s) / 1e6;
            }
        }
        return new double[] {percentile(ta, 50), percentile(tb, 50), percentile(ta, 90), percentile(tb, 90)};
    }

    static double percentile(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(p / 100 * (s.length - 1)))];
    }

    /** A seeded photo-like picture: gradients with two filled shapes, so JPEG has real work to do. */
    static BufferedImage picture(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        int base = r.nextInt(256);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int red = (x * 255 / Math.max(1, w - 1) + base) & 0xFF;
                int green = y * 255 / Math.max(1, h - 1);
                int blue = (x + y) * 3 & 0xFF;
                img.setRGB(x, y, red << 16 | green << 8 | blue);
            }
        }
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillRect(w / 8, h / 8, w / 3, h / 4);
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillOval(w / 2, h / 2, w / 3, h / 3);
        g.dispose();
        return img;
    }

    /** {@code img} as a quality-0.95 JPEG. */
    static byte[] jpeg(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter writer = writers.next();
        ImageWriteParam p = writer.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(0.95f);
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
