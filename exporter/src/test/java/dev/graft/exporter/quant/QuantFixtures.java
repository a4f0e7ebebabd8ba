package dev.graft.exporter.quant;

import dev.graft.exporter.ExportOptions;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.testing.Fixtures;
import dev.graft.models.weights.LoadMode;
import dev.graft.models.weights.SafeTensors;
import dev.graft.models.weights.Tensor;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightLoader;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/** Models, weights and image folders shared by the quantisation tests. */
final class QuantFixtures {
    static final List<String> LABELS = List.of("circle", "square", "triangle");

    private QuantFixtures() {
    }

    /** fastai's resnet18 + default head, 3 classes: the spec of the golden weights. */
    static Network resnet18() {
        return VisionModel.builder().setArch("resnet18").setClasses(3).build();
    }

    /**
     * The golden fastai resnet18 weights (PyTorch initialisation, BatchNorm statistics calibrated on data), so that
     * activations have realistic ranges; a missing file skips the calling test, or fails it in CI.
     */
    static Map<String, Tensor> goldenWeights(Network net) {
        Path file = Fixtures.golden("resnet18_c3_64.fastai.safetensors");
        try (TensorFile f = SafeTensors.open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            WeightLoader.load(net, f.all(), LoadMode.ALL).tensors()
                    .forEach((k, v) -> out.put(k, Tensor.ofFloats(v.shape(), v.toFloatArray())));
            return out;
        }
    }

    static ExportOptions.Builder options(Network net, Map<String, Tensor> weights, int size) {
        return ExportOptions.builder().setNetwork(net).setWeights(weights).optInputSize(size, size).optLabels(LABELS);
    }

    /**
     * Writes {@code perClass} PNGs per label under {@code dir/<label>/}: a filled circle, square or triangle at a random
     * place, size and colour on a noisy two-tone background.
     */
    static Path writeImages(Path dir, int perClass, int size, long seed) {
        Random r = new Random(seed);
        try {
            for (int c = 0; c < LABELS.size(); c++) {
                Path folder = Files.createDirectories(dir.resolve(LABELS.get(c)));
                for (int i = 0; i < perClass; i++) {
                    ImageIO.write(draw(c, size, r), "png", folder.resolve(String.format("%s_%03d.png", LABELS.get(c), i))
                            .toFile());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    static BufferedImage draw(int kind, int size, Random r) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Color a = new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256));
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int n = r.nextInt(31) - 15;
                int t = (x + y) * 40 / (2 * size);
                img.setRGB(x, y, clamp(a.getRed() + n + t) << 16 | clamp(a.getGreen() + n - t) << 8
                        | clamp(a.getBlue() + n));
            }
        }
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        double radius = size * (0.15 + 0.15 * r.nextDouble());
        AffineTransform at = new AffineTransform();
        at.translate(radius + r.nextDouble() * (size - 2 * radius), radius + r.nextDouble() * (size - 2 * radius));
        at.rotate(r.nextDouble() * Math.PI);
        at.scale(radius, radius);
        java.awt.Shape unit = switch (kind) {
            case 0 -> new Ellipse2D.Double(-1, -1, 2, 2);
            case 1 -> new Rectangle2D.Double(-0.8, -0.8, 1.6, 1.6);
            default -> {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(0, -1);
                p.lineTo(0.87, 0.5);
                p.lineTo(-0.87, 0.5);
                p.closePath();
                yield p;
            }
        };
        g.fill(at.createTransformedShape(unit));
        g.dispose();
        return img;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** Calibration data held in memory, already in model space. */
    static CalibrationData arrays(float[] data, int n, int channels, int size) {
        int per = channels * size * size;
        return new CalibrationData() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public int channels() {
                return channels;
            }

            @Override
            public int height() {
                return size;
            }

            @Override
            public int width() {
                return size;
            }

            @Override
            public void read(int index, float[] dst, int offset) {
                System.arraycopy(data, index * per, dst, offset, per);
            }

            @Override
            public String describe() {
                return n + " arrays";
            }
        };
    }

    static float[] gaussian(long seed, int count) {
        Random r = new Random(seed);
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
