package dev.graft.spark;

import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.exporter.ExportOptions;
import dev.graft.exporter.OnnxExporter;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.checkpoint.Task;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;

/**
 * What the module's tests share: one local Spark (two cores, UI off, driver on loopback) for the whole test JVM, small
 * real models made by Graft's exporter, and image folders.
 */
final class SparkTests {
    private static final Map<String, Path> MODELS = new ConcurrentHashMap<>();
    private static volatile SparkSession spark;
    private static Path root;

    private SparkTests() {
    }

    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("graft-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.default.parallelism", "2")
                    .config("spark.local.dir", dir("spark-local").toString())
                    .config("spark.sql.warehouse.dir", dir("warehouse").toString())
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                spark.stop();
                deleteRoot();
            }));
        }
        return spark;
    }

    /** The models, images and Spark's scratch of this JVM's tests go with it. */
    private static synchronized void deleteRoot() {
        if (root == null) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }

    /** A fresh folder under this JVM's test root. */
    static synchronized Path dir(String name) {
        try {
            if (root == null) {
                root = Files.createTempDirectory("graft-spark-test");
            }
            return Files.createDirectories(Files.createTempDirectory(root, name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A resnet18 at 64 x 64 with seeded random weights, exported for {@code task}; cached per key. */
    static Path model(String key, Task task, int classes, long seed) {
        return MODELS.computeIfAbsent(key, k -> {
            Network net = VisionModel.builder().setArch("resnet18").setClasses(classes).build();
            ExportOptions.Builder b = ExportOptions.builder().setNetwork(net).setWeights(Initializer.init(net, seed))
                    .optInputSize(64, 64).optTask(task);
            if (task != Task.REGRESSION) {
                b.optLabels(classes == 3 ? List.of("cat", "dog", "fish")
                        : List.of("a", "b", "c", "d", "e", "f", "g").subList(0, classes));
            }
            if (task == Task.MULTI_LABEL) {
                b.optThreshold(0.4);
            }
            try {
                Path file = dir("model-" + key).resolve(key + ".onnx");
                Files.write(file, OnnxExporter.export(b.build()).toByteArray());
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static Path singleLabel() {
        return model("single", Task.SINGLE_LABEL, 7, 7);
    }

    /** The reference: runtime-edge on one file, as {@code graft predict} runs it. */
    static EdgeModel reference(Path model) {
        return EdgeModel.load(model, EdgeOptions.builder().optDevice("cpu").optIntraOpThreads(1).build());
    }

    /** A colourful picture that differs by seed (gradients, a rectangle and a disc at seeded places). */
    static BufferedImage picture(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        int base = r.nextInt(256);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int red = (x * 255 / Math.max(1, w - 1) + base) & 0xFF;
                int green = (y * 255 / Math.max(1, h - 1) + r.nextInt(16)) & 0xFF;
                int blue = (x + y) * 3 & 0xFF;
                img.setRGB(x, y, red << 16 | green << 8 | blue);
            }
        }
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillRect(r.nextInt(w / 2), r.nextInt(h / 2), w / 3, h / 4);
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillOval(r.nextInt(w / 2), r.nextInt(h / 2), w / 3, h / 3);
        g.dispose();
        return img;
    }

    static byte[] encode(BufferedImage img, String format) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code count} good images (JPEG and PNG, a few sizes) in a new folder, with a sub-folder. */
    static Path goodImages(int count) {
        Path d = dir("good");
        try {
            Files.createDirectories(d.resolve("sub"));
            for (int i = 0; i < count; i++) {
                String format = i % 3 == 0 ? "png" : "jpg";
                Path f = (i % 4 == 0 ? d.resolve("sub") : d).resolve(String.format("img%03d.%s", i, format));
                Files.write(f, encode(picture(64 + 8 * (i % 5), 48 + 4 * (i % 7), i), format));
            }
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The local file a {@code binaryFile} path names. */
    static Path local(String sparkPath) {
        return Path.of(URI.create(sparkPath));
    }
}
