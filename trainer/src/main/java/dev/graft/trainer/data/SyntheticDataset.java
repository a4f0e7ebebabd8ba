package dev.graft.trainer.data;

import dev.graft.models.GraftException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Writes a small image dataset that a CNN has to learn from shape, so training, export and inference can be tested
 * end to end without downloading anything.
 *
 * <p>Each class is a shape kind ({@link #SHAPES}) filled with that class's texture (solid, stripes, dots, checks, ...),
 * drawn at a random position, scale and rotation, in two shades of a random colour, over a random two-colour gradient
 * with pixel noise and faint stripes. Colours are drawn independently of the class, so only shape and texture separate
 * the classes; brightness is chosen opposite to the background so the shape stays visible. Shape alone proved too hard
 * for a ResNet trained from random initialisation on a few hundred images (PyTorch and Graft alike reached 60-70%
 * validation accuracy in 8 epochs); with texture it is learnt in a few epochs, as a demo needs.
 *
 * <p>Layouts (PNG, lossless so the bytes are reproducible):
 * <ul>
 *   <li>single-label: {@code out/train/<shape>/<shape>_NNNN.png} and {@code out/valid/<shape>/...}, about 80/20 per
 *       class (at least one validation image per class once {@code perClass >= 2}), fastai's folder-split form;</li>
 *   <li>multi-label: {@code out/images/img_NNNNN.png} holding a random non-empty subset of the shapes, and
 *       {@code out/labels.csv} with columns {@code fname,labels,is_valid} (every fifth image is validation).</li>
 * </ul>
 * The same arguments produce byte-identical files. Each file is written under a hidden temporary name and renamed,
 * so a crash never leaves a truncated image that a later run would try to read.
 */
public final class SyntheticDataset {
    /** The shape kinds, in class order. */
    public static final List<String> SHAPES =
            List.of("circle", "square", "triangle", "cross", "ring", "star", "crescent", "hexagon");

    private static final Shape[] UNIT = {
        new Ellipse2D.Double(-1, -1, 2, 2),
        new Rectangle2D.Double(-0.8, -0.8, 1.6, 1.6),
        polygon(3, 1, 1),
        cross(),
        ring(),
        polygon(5, 1, 0.42),
        crescent(),
        polygon(6, 1, 1),
    };

    private SyntheticDataset() {
    }

    /**
     * Generates the dataset into {@code out} (created; must be empty if it exists) and returns it loaded.
     *
     * @param classes how many shape kinds, the first {@code classes} of {@link #SHAPES}
     * @param size image width and height in pixels
     * @param perClass images per class (single-label) or images per class on average (multi-label: classes *
     *     perClass images in all)
     */
    public static ImageDataset generate(Path out, int classes, int size, int perClass, boolean multiLabel, long seed) {
        if (classes < 2 || classes > SHAPES.size()) {
            throw new GraftException("Synthetic data supports 2 to " + SHAPES.size() + " classes, got " + classes);
        }
        if (size < 16) {
            throw new GraftException("Synthetic images must be at least 16 pixels, got " + size);
        }
        if (perClass < 1) {
            throw new GraftException("Synthetic data needs at least 1 image per class, got " + perClass);
        }
        prepare(out);
        try {
            return multiLabel ? multiLabel(out, classes, size, perClass, seed)
                    : singleLabel(out, classes, size, perClass, seed);
        } catch (UncheckedIOException e) {
            throw new GraftException("Cannot write synthetic data to " + out + ": " + e.getCause().getMessage(), e);
        }
    }

    private static ImageDataset singleLabel(Path out, int classes, int size, int perClass, long seed) {
        int valid = perClass >= 2 ? Math.max(1, (int) Math.round(perClass * 0.2)) : 0;
        int train = perClass - valid;
        for (String split : List.of("train", "valid")) {
            for (int c = 0; c < classes; c++) {
                int count = split.equals("train") ? train : valid;
                if (count > 0) {
                    mkdirs(out.resolve(split).resolve(SHAPES.get(c)));
                }
            }
        }
        mkdirs(out.resolve("valid"));
        IntStream.range(0, classes * perClass).parallel().forEach(i -> {
            int c = i / perClass;
            int j = i % perClass;
            String name = SHAPES.get(c);
            Path dir = out.resolve(j < train ? "train" : "valid").resolve(name);
            BufferedImage img = draw(size, new int[] {c}, new SplittableRandom(Seeds.mix(seed, i)));
            writePng(img, dir.resolve(String.format("%s_%04d.png", name, j)));
        });
        return ImageDataset.fromFolders(out);
    }

    private static ImageDataset multiLabel(Path out, int classes, int size, int perClass, long seed) {
        Path images = out.resolve("images");
        mkdirs(images);
        int total = classes * perClass;
        String[] rows = new String[total];
        IntStream.range(0, total).parallel().forEach(i -> {
            SplittableRandom rnd = new SplittableRandom(Seeds.mix(seed, i));
            List<Integer> chosen = new ArrayList<>();
            while (chosen.isEmpty()) {
                for (int c = 0; c < classes; c++) {
                    if (c == i || rnd.nextBoolean()) { // image i < classes always shows class i: every class occurs
                        chosen.add(c);
                    }
                }
            }
            int[] kinds = chosen.stream().mapToInt(Integer::intValue).toArray();
            String name = String.format("img_%05d.png", i);
            writePng(draw(size, kinds, rnd), images.resolve(name));
            StringBuilder labels = new StringBuilder();
            for (int k : kinds) {
                labels.append(labels.length() == 0 ? "" : " ").append(SHAPES.get(k));
            }
            rows[i] = name + "," + labels + "," + (i % 5 == 4 ? "true" : "false");
        });
        StringBuilder csv = new StringBuilder("fname,labels,is_valid\n");
        for (String row : rows) {
            csv.append(row).append('\n');
        }
        Path target = out.resolve("labels.csv");
        Path tmp = out.resolve(".labels.csv.tmp");
        try {
            Files.writeString(tmp, csv.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        move(tmp, target);
        return ImageDataset.fromMultiLabelCsv(target);
    }

    /** Draws the given shape kinds on a fresh noisy background. */
    static BufferedImage draw(int size, int[] kinds, SplittableRandom rnd) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        boolean darkBackground = rnd.nextBoolean();
        background(img, darkBackground, rnd);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            // faint stripes: clutter that is neither shape nor class-dependent
            int stripes = rnd.nextInt(4);
            for (int s = 0; s < stripes; s++) {
                g.setColor(colour(rnd, darkBackground ? 0.25 : 0.6, darkBackground ? 0.4 : 0.75));
                g.setStroke(new BasicStroke((float) (size * 0.02 + rnd.nextDouble() * size * 0.03)));
                g.drawLine(rnd.nextInt(size), 0, rnd.nextInt(size), size - 1);
            }
            double maxR = kinds.length == 1 ? 0.34 : 0.58 / Math.sqrt(kinds.length + 1);
            double minR = maxR * 0.6;
            List<double[]> placed = new ArrayList<>();
            for (int kind : kinds) {
                double r = size * (minR + (maxR - minR) * rnd.nextDouble());
                // the candidate furthest from the shapes already drawn, so shapes rarely overlap
                double x = 0;
                double y = 0;
                double best = Double.NEGATIVE_INFINITY;
                for (int attempt = 0; attempt < 30 && best < 0; attempt++) {
                    double cx = r + 1 + rnd.nextDouble() * (size - 2 * r - 2);
                    double cy = r + 1 + rnd.nextDouble() * (size - 2 * r - 2);
                    double gap = clearance(placed, cx, cy, r);
                    if (gap > best) {
                        best = gap;
                        x = cx;
                        y = cy;
                    }
                }
                placed.add(new double[] {x, y, r});
                AffineTransform at = new AffineTransform();
                at.translate(x, y);
                at.rotate(rnd.nextDouble() * 2 * Math.PI);
                at.scale(r, r);
                Color main = darkBackground ? colour(rnd, 0.65, 1.0) : colour(rnd, 0.0, 0.35);
                fillTextured(img, at.createTransformedShape(UNIT[kind]), at, r, kind, main, darkBackground, rnd);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /**
     * Fills {@code shape} with its class's texture ({@link #texture}) in two shades of {@code main}: the pattern is laid
     * out in the shape's own rotated frame, so it turns with the shape, and its period scales with the image.
     */
    private static void fillTextured(BufferedImage img, Shape shape, AffineTransform at, double r, int kind,
            Color main, boolean darkBackground, SplittableRandom rnd) {
        int size = img.getWidth();
        BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D m = mask.createGraphics();
        try {
            m.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            m.setColor(Color.WHITE);
            m.fill(shape);
        } finally {
            m.dispose();
        }
        byte[] alpha = ((java.awt.image.DataBufferByte) mask.getRaster().getDataBuffer()).getData();
        int[] px = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        float[] hsb = Color.RGBtoHSB(main.getRed(), main.getGreen(), main.getBlue(), null);
        float shift = darkBackground ? -0.45f : 0.45f;
        Color second = Color.getHSBColor(hsb[0], hsb[1], Math.max(0f, Math.min(1f, hsb[2] + shift)));
        double period = Math.max(4.0, size * (0.11 + 0.03 * rnd.nextDouble()));
        double phase = rnd.nextDouble() * period;
        java.awt.geom.Point2D.Double local = new java.awt.geom.Point2D.Double();
        AffineTransform inverse;
        try {
            inverse = at.createInverse();
        } catch (java.awt.geom.NoninvertibleTransformException e) {
            throw new IllegalStateException(e);
        }
        for (int i = 0; i < px.length; i++) {
            int a = alpha[i] & 0xff;
            if (a == 0) {
                continue;
            }
            inverse.transform(new java.awt.geom.Point2D.Double(i % size + 0.5, i / size + 0.5), local);
            Color c = texture(kind, local.x * r + phase, local.y * r + phase, period) ? main : second;
            int bg = px[i];
            int red = blend((bg >> 16) & 0xff, c.getRed(), a);
            int green = blend((bg >> 8) & 0xff, c.getGreen(), a);
            int blue = blend(bg & 0xff, c.getBlue(), a);
            px[i] = red << 16 | green << 8 | blue;
        }
    }

    private static int blend(int under, int over, int alpha) {
        return (under * (255 - alpha) + over * alpha + 127) / 255;
    }

    /**
     * Whether the point (u, v), in pixels of the shape's frame, takes the main shade in class {@code kind}'s texture:
     * solid, stripes, dots, checks, grid, rings, zigzag, diagonal checks. A CNN learns texture fast, so the classes
     * (shape and texture together) are learnable from random initialisation in a few epochs, yet only through spatial
     * filters: colour and brightness say nothing about the class.
     */
    static boolean texture(int kind, double u, double v, double p) {
        double fu = Math.floorMod((long) Math.floor(u / p), 2);
        double fv = Math.floorMod((long) Math.floor(v / p), 2);
        double mu = u - p * Math.floor(u / p);
        double mv = v - p * Math.floor(v / p);
        return switch (kind) {
            case 0 -> true;
            case 1 -> fu == 0;
            case 2 -> Math.hypot(mu - p / 2, mv - p / 2) > p * 0.3;
            case 3 -> fu == fv;
            case 4 -> mu > p * 0.3 && mv > p * 0.3;
            case 5 -> Math.floorMod((long) Math.floor(Math.hypot(u, v) / p), 2) == 0;
            case 6 -> Math.floorMod((long) Math.floor((v + Math.abs(mu - p / 2)) / p), 2) == 0;
            default -> Math.floorMod((long) Math.floor((u + v) / p), 2) == Math.floorMod((long) Math.floor((u - v) / p), 2);
        };
    }

    /** How far a shape at (x, y) of radius r stays from the nearest placed shape; negative when they overlap. */
    private static double clearance(List<double[]> placed, double x, double y, double r) {
        double gap = Double.POSITIVE_INFINITY;
        for (double[] p : placed) {
            gap = Math.min(gap, Math.hypot(p[0] - x, p[1] - y) - (p[2] + r) * 1.05);
        }
        return gap;
    }

    private static void background(BufferedImage img, boolean dark, SplittableRandom rnd) {
        int size = img.getWidth();
        int[] px = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        double lo = dark ? 0.05 : 0.6;
        double hi = dark ? 0.4 : 0.95;
        Color a = colour(rnd, lo, hi);
        Color b = colour(rnd, lo, hi);
        double angle = rnd.nextDouble() * 2 * Math.PI;
        double dx = Math.cos(angle) / size;
        double dy = Math.sin(angle) / size;
        int noise = 12 + rnd.nextInt(14);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double t = Math.min(1, Math.max(0, 0.5 + (x - size / 2.0) * dx + (y - size / 2.0) * dy));
                int n = rnd.nextInt(2 * noise + 1) - noise;
                int r = clamp((int) (a.getRed() + t * (b.getRed() - a.getRed())) + n);
                int g = clamp((int) (a.getGreen() + t * (b.getGreen() - a.getGreen())) + n);
                int bl = clamp((int) (a.getBlue() + t * (b.getBlue() - a.getBlue())) + n);
                px[y * size + x] = r << 16 | g << 8 | bl;
            }
        }
    }

    /** A random hue and saturation with HSB brightness in [lo, hi]. */
    private static Color colour(SplittableRandom rnd, double lo, double hi) {
        return Color.getHSBColor((float) rnd.nextDouble(), (float) (0.3 + 0.7 * rnd.nextDouble()),
                (float) (lo + (hi - lo) * rnd.nextDouble()));
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : (v > 255 ? 255 : v);
    }

    private static void writePng(BufferedImage img, Path target) {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IllegalStateException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        move(tmp, target);
    }

    private static void move(Path tmp, Path target) {
        try {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void prepare(Path out) {
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) {
                throw new GraftException("Synthetic data output is not a folder: " + out);
            }
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new GraftException("Synthetic data output folder is not empty: " + out);
                }
            } catch (IOException e) {
                throw new GraftException("Cannot list " + out + ": " + e.getMessage(), e);
            }
        }
        mkdirs(out);
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new GraftException("Cannot create folder " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Shape polygon(int points, double outer, double inner) {
        Path2D.Double p = new Path2D.Double();
        boolean star = inner != outer;
        int n = star ? points * 2 : points;
        for (int i = 0; i < n; i++) {
            double a = -Math.PI / 2 + i * 2 * Math.PI / n;
            double r = star && i % 2 == 1 ? inner : outer;
            if (i == 0) {
                p.moveTo(r * Math.cos(a), r * Math.sin(a));
            } else {
                p.lineTo(r * Math.cos(a), r * Math.sin(a));
            }
        }
        p.closePath();
        return p;
    }

    private static Shape cross() {
        Area a = new Area(new Rectangle2D.Double(-1, -0.28, 2, 0.56));
        a.add(new Area(new Rectangle2D.Double(-0.28, -1, 0.56, 2)));
        return a;
    }

    private static Shape ring() {
        Area a = new Area(new Ellipse2D.Double(-1, -1, 2, 2));
        a.subtract(new Area(new Ellipse2D.Double(-0.55, -0.55, 1.1, 1.1)));
        return a;
    }

    private static Shape crescent() {
        Area a = new Area(new Ellipse2D.Double(-1, -1, 2, 2));
        a.subtract(new Area(new Ellipse2D.Double(-0.55, -1.05, 1.9, 1.9)));
        return a;
    }
}
