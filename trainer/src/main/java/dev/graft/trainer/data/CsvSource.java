package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads {@code fname,target[,is_valid]} CSV files, the form fastai's {@code ImageDataLoaders.from_csv} and its
 * multi-label examples use.
 *
 * <p>The header is optional. The first row is taken as a header when its first cell is not an existing file and either
 * looks like a column name (no image extension) or the row names an {@code is_valid} column. Only a header can
 * introduce {@code is_valid}; without one, columns after the second are ignored.
 */
final class CsvSource {
    private static final Set<String> TRUE = Set.of("true", "1", "yes", "y", "t");
    private static final Set<String> FALSE = Set.of("false", "0", "no", "n", "f");

    private CsvSource() {
    }

    private static final class Row {
        final int line;
        final String file;
        final String target;
        final Boolean isValid;

        Row(int line, String file, String target, Boolean isValid) {
            this.line = line;
            this.file = file;
            this.target = target;
            this.isValid = isValid;
        }
    }

    static ImageDataset load(Path csv, Task task, Path imageDir, double validPct, long seed) {
        if (!Files.exists(csv)) {
            throw new GraftException("CSV file not found: " + csv);
        }
        if (!Files.isRegularFile(csv)) {
            throw new GraftException("CSV path is not a file: " + csv);
        }
        List<Path> bases = baseDirs(csv, imageDir);
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GraftException("Cannot read CSV " + csv + ": " + e.getMessage(), e);
        }
        List<Row> rows = parse(csv, lines, bases);
        if (task == Task.REGRESSION) {
            for (Row row : rows) {
                parseValue(csv, row);
            }
        }

        List<Path> paths = new ArrayList<>(rows.size());
        List<String> missing = new ArrayList<>();
        for (Row row : rows) {
            Path p = resolve(bases, row.file);
            if (p == null) {
                missing.add(row.file);
            }
            paths.add(p);
        }
        if (!missing.isEmpty()) {
            throw new GraftException("CSV " + csv + " names " + missing.size() + " missing file"
                    + (missing.size() > 1 ? "s: " : ": ") + FolderSource.firstFew(missing) + " (looked in "
                    + String.join(", ", bases.stream().map(Path::toString).toArray(String[]::new)) + ")");
        }

        List<String> classes = classes(csv, task, rows);
        List<Item> items = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            items.add(item(csv, task, rows.get(i), paths.get(i), classes));
        }
        if (task == Task.SINGLE_LABEL && classes.size() < 2) {
            throw new GraftException("CSV " + csv + " has only one class (" + classes.get(0)
                    + "); single-label training needs at least two");
        }

        List<Item> train;
        List<Item> valid;
        if (rows.get(0).isValid != null) {
            train = new ArrayList<>();
            valid = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                (rows.get(i).isValid ? valid : train).add(items.get(i));
            }
            if (train.isEmpty()) {
                throw new GraftException("CSV " + csv + " marks every row is_valid; nothing is left to train on");
            }
        } else {
            List<List<Item>> split = ImageDataset.randomSplit(items, validPct, seed);
            train = split.get(0);
            valid = split.get(1);
        }
        return new ImageDataset(task, classes, train, valid);
    }

    private static List<Path> baseDirs(Path csv, Path imageDir) {
        if (imageDir != null) {
            if (!Files.isDirectory(imageDir)) {
                throw new GraftException("Image folder not found: " + imageDir);
            }
            return List.of(imageDir);
        }
        Path parent = csv.toAbsolutePath().getParent();
        Path images = parent.resolve("images");
        return Files.isDirectory(images) ? List.of(parent, images) : List.of(parent);
    }

    private static Path resolve(List<Path> bases, String file) {
        for (Path base : bases) {
            try {
                Path p = base.resolve(file);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            } catch (InvalidPathException e) {
                return null;
            }
        }
        return null;
    }

    private static List<Row> parse(Path csv, List<String> lines, List<Path> bases) {
        List<Row> rows = new ArrayList<>();
        int validColumn = -1;
        boolean first = true;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.isBlank()) {
                continue;
            }
            int lineNo = i + 1;
            List<String> cells = split(csv, line, lineNo);
            if (first) {
                first = false;
                if (isHeader(cells, bases)) {
                    for (int c = 0; c < cells.size(); c++) {
                        if (cells.get(c).trim().equalsIgnoreCase("is_valid")) {
                            validColumn = c;
                        }
                    }
                    if (validColumn == 0 || validColumn == 1) {
                        throw new GraftException("CSV " + csv + " line " + lineNo
                                + ": is_valid must come after the file and target columns");
                    }
                    continue;
                }
            }
            if (cells.size() < 2) {
                throw new GraftException("CSV " + csv + " line " + lineNo
                        + ": expected a file name and a target separated by a comma, found '" + line.trim() + "'");
            }
            String file = cells.get(0).trim();
            if (file.isEmpty()) {
                throw new GraftException("CSV " + csv + " line " + lineNo + ": empty file name");
            }
            Boolean isValid = null;
            if (validColumn >= 0) {
                String v = validColumn < cells.size() ? cells.get(validColumn).trim().toLowerCase(Locale.ROOT) : "";
                if (TRUE.contains(v)) {
                    isValid = Boolean.TRUE;
                } else if (FALSE.contains(v)) {
                    isValid = Boolean.FALSE;
                } else {
                    throw new GraftException("CSV " + csv + " line " + lineNo
                            + ": is_valid must be true or false, found '" + v + "'");
                }
            }
            rows.add(new Row(lineNo, file, cells.get(1).trim(), isValid));
        }
        if (rows.isEmpty()) {
            throw new GraftException(first ? "CSV file is empty: " + csv : "CSV " + csv + " has a header but no rows");
        }
        return rows;
    }

    private static boolean isHeader(List<String> cells, List<Path> bases) {
        String firstCell = cells.get(0).trim();
        if (resolve(bases, firstCell) != null) {
            return false;
        }
        for (String c : cells) {
            if (c.trim().equalsIgnoreCase("is_valid")) {
                return true;
            }
        }
        return !ImageFiles.hasImageExtension(firstCell);
    }

    private static List<String> classes(Path csv, Task task, List<Row> rows) {
        if (task == Task.REGRESSION) {
            return List.of();
        }
        TreeSet<String> labels = new TreeSet<>();
        for (Row row : rows) {
            if (task == Task.SINGLE_LABEL) {
                if (row.target.isEmpty()) {
                    throw new GraftException("CSV " + csv + " line " + row.line + ": empty label");
                }
                labels.add(row.target);
            } else {
                labels.addAll(labels(row.target));
            }
        }
        if (labels.isEmpty()) {
            throw new GraftException("CSV " + csv + " has no labels in its second column");
        }
        return new ArrayList<>(labels);
    }

    private static List<String> labels(String cell) {
        List<String> out = new ArrayList<>();
        for (String s : cell.split("\\s+")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    private static Item item(Path csv, Task task, Row row, Path path, List<String> classes) {
        switch (task) {
            case SINGLE_LABEL:
                return Item.singleLabel(path, classes.indexOf(row.target));
            case MULTI_LABEL: {
                float[] hot = new float[classes.size()];
                for (String label : labels(row.target)) {
                    hot[classes.indexOf(label)] = 1f;
                }
                return Item.multiLabel(path, hot);
            }
            default:
                return Item.regression(path, parseValue(csv, row));
        }
    }

    private static float parseValue(Path csv, Row row) {
        String t = row.target;
        float v;
        try {
            v = Float.parseFloat(t);
        } catch (NumberFormatException e) {
            v = Float.NaN;
        }
        char last = t.isEmpty() ? ' ' : Character.toLowerCase(t.charAt(t.length() - 1));
        if (!Float.isFinite(v) || last == 'f' || last == 'd') {
            throw new GraftException("CSV " + csv + " line " + row.line + ": '" + t + "' is not a number");
        }
        return v;
    }

    /** Splits one CSV line (RFC 4180 quoting; quoted fields may not span lines). */
    static List<String> split(Path csv, String line, int lineNo) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"' && cell.toString().isBlank() && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
                cell.setLength(0);
            } else if (ch == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
                wasQuoted = false;
            } else {
                cell.append(ch);
            }
        }
        if (quoted) {
            throw new GraftException("CSV " + csv + " line " + lineNo + ": unterminated quote");
        }
        cells.add(cell.toString());
        return cells;
    }
}
