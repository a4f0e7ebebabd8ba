package dev.graft.benchmarks.jmh;

import dev.graft.image.PixelBuffer;
import dev.graft.trainer.data.ImageDecoder;
import dev.graft.trainer.data.ImageTransforms;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Preprocessing of one camera-sized image for a 224 x 224 model, in the pieces end-to-end latency is made of: decoding
 * (JPEG, PNG) and the validation transform (centre crop, resize, normalise into CHW floats), and both together.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class PreprocessBenchmark {
    @Param({"640x480", "1920x1080"})
    public String source;

    private byte[] jpeg;
    private byte[] png;
    private PixelBuffer decoded;
    private ImageTransforms transforms;
    private float[] chw;
    private final Path name = Path.of("bench.jpg");

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String[] wh = source.split("x");
        BufferedImage img = photo(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
        jpeg = encode(img, "jpg");
        png = encode(img, "png");
        decoded = ImageDecoder.decode(jpeg, name);
        transforms = ImageTransforms.imagenet(224);
        chw = new float[transforms.floatsPerImage()];
    }

    /** A noisy gradient with shapes: compresses like a photograph rather than like a flat colour. */
    static BufferedImage photo(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(0, 0, new Color(30, 90, 160), w, h, new Color(220, 180, 60)));
        g.fillRect(0, 0, w, h);
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 40; i++) {
            g.setColor(new Color(rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)));
            g.fillOval(rnd.nextInt(w), rnd.nextInt(h), 20 + rnd.nextInt(w / 4), 20 + rnd.nextInt(h / 4));
        }
        g.dispose();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = img.getRGB(x, y);
                int n = rnd.nextInt(17) - 8;
                int r = clamp(((v >> 16) & 0xFF) + n);
                int gg = clamp(((v >> 8) & 0xFF) + n);
                int b = clamp((v & 0xFF) + n);
                img.setRGB(x, y, r << 16 | gg << 8 | b);
            }
        }
        return img;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, out)) {
            throw new IOException("no ImageIO writer for " + format);
        }
        return out.toByteArray();
    }

    @Benchmark
    public PixelBuffer decodeJpeg() {
        return ImageDecoder.decode(jpeg, name);
    }

    @Benchmark
    public PixelBuffer decodePng() {
        return ImageDecoder.decode(png, name);
    }

    /** Centre crop, resize to 224 x 224 and normalise into a reused CHW array. */
    @Benchmark
    public float[] validTransform() {
        transforms.valid(decoded, chw, 0);
        return chw;
    }

    /** Everything between JPEG bytes and the model's input. */
    @Benchmark
    public float[] jpegToTensor() {
        transforms.valid(ImageDecoder.decode(jpeg, name), chw, 0);
        return chw;
    }
}
