package dev.graft.interpret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The images of a labelled data set and their raw labels, in the layouts the trainer reads: class sub-folders (fastai's
 * {@code from_folder}), a {@code valid/} (or {@code val/}) split of them, or a {@code fname,label[,is_valid]} CSV
 * (fastai's {@code from_csv}; labels separated by spaces for multi-label, numbers for regression). With a split, only
 * the validation images are listed: those are the ones the model did not learn from.
 */
public final class LabelledImages {
    /** File extensions read as images, as the trainer's. */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");
    private static final Set<String> TRUE = Set.of("true", "1", "yes", "y", "t");
    /** Most images listed (the list holds paths only; the images are read one at a time). */
    public static final int MAX_IMAGES = 10_000_000;

    /** One image and its label as written (a folder name, or a CSV cell). */
    public record Item(Path file, String label) {
    }

    private final Path source;
    private final String layout;
    private final List<Item> items;

    private LabelledImages(Path source, String layout, List<Item> items) {
        this.source = source;
        this.layout = layout;
        this.items = List.copyOf(items);
    }

    /** Images listed elsewhere (a training run's own validation split), with how they were chosen. */
    public static LabelledImages of(Path source, String layout, List<Item> items) {
        if (items.isEmpty()) {
            throw new InterpretException("no images to interpret in " + source + " (" + layout + ")");
        }
        return new LabelledImages(source, layout, items);
    }

    public Path source() {
        return source;
    }

    /** How the data was read, for the report: "class folders", "valid/ split", "CSV (is_valid rows)". */
    public String layout() {
        return layout;
    }

    public List<Item> items() {
        return items;
    }

    /**
     * Lists the data set at {@code data}: a folder or a CSV file.
     *
     * @throws InterpretException if it does not exist, holds no labelled images, or a CSV row is malformed
     */
    public static LabelledImages read(Path data) {
        if (!Files.exists(data)) {
            throw new InterpretException("data not found: " + data);
        }
        if (Files.isRegularFile(data)) {
            if (!data.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")) {
                throw new InterpretException(data + " is a file but not a .csv of labels; give a folder of class folders"
                        + " or a CSV");
            }
            return csv(data);
        }
        if (!Files.isDirectory(data)) {
            throw new InterpretException(data + " is neither a folder nor a CSV file");
        }
        for (String split : List.of("valid", "val")) {
            Path dir = data.resolve(split);
            if (Files.isDirectory(dir)) {
                return new LabelledImages(data, split + "/ split", folders(dir));
            }
        }
        return new LabelledImages(data, "class folders", folders(data));
    }

    static boolean isImage(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return !name.startsWith(".") && dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static List<Item> folders(Path root) {
        List<Item> items = new ArrayList<>();
        List<Path> children;
        try (Stream<Path> s = Files.list(root)) {
            children = s.filter(p -> !p.getFileName().toString().startsWith(".") && Files.isDirectory(p)).sorted().toList();
        } catch (IOException e) {
            throw new InterpretException("cannot list " + root + ": " + e.getMessage(), e);
        }
        for (Path c : children) {
            String label = c.getFileName().toString();
            try (Stream<Path> walk = Files.walk(c)) {
                walk.filter(p -> !hiddenBelow(c, p) && Files.isRegularFile(p) && isImage(p)).sorted().forEach(p -> {
                    if (items.size() >= MAX_IMAGES) {
                        throw new InterpretException(root + " holds more than " + MAX_IMAGES + " images");
                    }
                    items.add(new Item(p, label));
                });
            } catch (IOException e) {
                throw new InterpretException("cannot list " + c + ": " + e.getMessage(), e);
            }
        }
        if (items.isEmpty()) {
            throw new InterpretException("no images (" + String.join(", ", EXTENSIONS.stream().sorted().toList())
                    + ") in class folders under " + root + "; put each class's images in a folder named after it");
        }
        return items;
    }

    private static boolean hiddenBelow(Path top, Path p) {
        for (Path part : top.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static LabelledImages csv(Path csv) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InterpretException("cannot read " + csv + ": " + e.getMessage(), e);
        }
        Path base = csv.toAbsolutePath().getParent();
        Path images = base.resolve("images");
        List<Path> bases = Files.isDirectory(images) ? List.of(base, images) : List.of(base);
        List<Item> all = new ArrayList<>();
        List<Item> valid = new ArrayList<>();
        int validColumn = -1;
        boolean first = true;
        for (int i = 0; i < lines.size(); i++) {
            String line = i == 0 && lines.get(i).startsWith("\uFEFF") ? lines.get(i).substring(1) : lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            List<String> cells = split(line);
            if (first) {
                first = false;
                if (resolve(bases, cells.get(0).trim()) == null && (cells.get(0).trim().indexOf('.') < 0
                        || cells.stream().anyMatch(c -> c.trim().equalsIgnoreCase("is_valid")))) {
                    for (int c = 0; c < cells.size(); c++) {
                        if (cells.get(c).trim().equalsIgnoreCase("is_valid")) {
                            validColumn = c;
                        }
                    }
                    continue;
                }
            }
            if (cells.size() < 2) {
                throw new InterpretException(csv + " line " + (i + 1) + ": expected a file name and a label separated by a"
                        + " comma");
            }
            Path file = resolve(bases, cells.get(0).trim());
            if (file == null) {
                throw new InterpretException(csv + " line " + (i + 1) + ": no file " + cells.get(0).trim() + " (looked in "
                        + bases.get(0) + (bases.size() > 1 ? " and " + bases.get(1) : "") + ")");
            }
            Item item = new Item(file, cells.get(1).trim());
            all.add(item);
            if (validColumn >= 0 && validColumn < cells.size()
                    && TRUE.contains(cells.get(validColumn).trim().toLowerCase(Locale.ROOT))) {
                valid.add(item);
            }
            if (all.size() > MAX_IMAGES) {
                throw new InterpretException(csv + " lists more than " + MAX_IMAGES + " images");
            }
        }
        if (all.isEmpty()) {
            throw new InterpretException(csv + " lists no images");
        }
        if (validColumn >= 0) {
            if (valid.isEmpty()) {
                throw new InterpretException(csv + " marks no row is_valid; there is nothing to interpret on");
            }
            return new LabelledImages(csv, "CSV (is_valid rows)", valid);
        }
        return new LabelledImages(csv, "CSV", all);
    }

    private static Path resolve(List<Path> bases, String name) {
        for (Path b : bases) {
            try {
                Path p = b.resolve(name);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            } catch (InvalidPathException e) {
                return null;
            }
        }
        return null;
    }

    /** One CSV line into cells, with RFC 4180 quotes. */
    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
