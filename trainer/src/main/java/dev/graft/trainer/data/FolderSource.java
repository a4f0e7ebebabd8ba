package dev.graft.trainer.data;

import dev.graft.models.checkpoint.Task;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads class-per-folder image trees, the layout of fastai's {@code ImageDataLoaders.from_folder}. */
final class FolderSource {
    private static final Logger LOG = LoggerFactory.getLogger(FolderSource.class);

    private FolderSource() {
    }

    static ImageDataset load(Path dir, double validPct, long seed) {
        if (!Files.exists(dir)) {
            throw new GraftException("Dataset folder not found: " + dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new GraftException("Dataset path is not a folder: " + dir);
        }
        if (visibleChildren(dir).isEmpty()) {
            throw new GraftException("Dataset folder is empty: " + dir);
        }
        Path train = dir.resolve("train");
        Path valid = dir.resolve("valid");
        Path val = dir.resolve("val");
        boolean hasValid = Files.isDirectory(valid);
        boolean hasVal = Files.isDirectory(val);
        if (Files.isDirectory(train) && (hasValid || hasVal)) {
            if (hasValid && hasVal) {
                throw new GraftException("Dataset folder " + dir + " has both valid/ and val/; keep one");
            }
            return folderSplit(train, hasValid ? valid : val);
        }
        Path root = Files.isDirectory(train) ? train : dir;
        return randomSplit(root, validPct, seed);
    }

    private static ImageDataset folderSplit(Path trainDir, Path validDir) {
        Map<String, List<Path>> train = classFolders(trainDir);
        Map<String, List<Path>> valid = classFolders(validDir);
        List<String> orphans = valid.keySet().stream().filter(c -> !train.containsKey(c)).collect(Collectors.toList());
        if (!orphans.isEmpty()) {
            throw new GraftException("Class folder" + (orphans.size() > 1 ? "s " : " ") + firstFew(orphans) + " in "
                    + validDir + " ha" + (orphans.size() > 1 ? "ve" : "s") + " no images in " + trainDir);
        }
        List<String> classes = checkClasses(trainDir, train);
        if (valid.isEmpty()) {
            LOG.warn("No validation images in {}; training without validation", validDir);
        }
        return new ImageDataset(Task.SINGLE_LABEL, classes, items(classes, train), items(classes, valid));
    }

    private static ImageDataset randomSplit(Path root, double validPct, long seed) {
        Map<String, List<Path>> byClass = classFolders(root);
        List<String> classes = checkClasses(root, byClass);
        List<List<Item>> split = ImageDataset.randomSplit(items(classes, byClass), validPct, seed);
        return new ImageDataset(Task.SINGLE_LABEL, classes, split.get(0), split.get(1));
    }

    private static List<String> checkClasses(Path root, Map<String, List<Path>> byClass) {
        if (byClass.isEmpty()) {
            boolean loose;
            try (Stream<Path> s = Files.list(root)) {
                loose = s.anyMatch(p -> Files.isRegularFile(p) && ImageFiles.isImageName(p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (loose) {
                throw new GraftException("Images sit directly in " + root
                        + "; put each class's images in a folder named after the class");
            }
            throw new GraftException("No images (" + ImageFiles.EXTENSION_LIST + ") in class folders under " + root);
        }
        List<String> classes = new ArrayList<>(byClass.keySet());
        if (classes.size() < 2) {
            throw new GraftException("Only one class (" + classes.get(0) + ") under " + root
                    + "; single-label training needs at least two class folders");
        }
        return classes;
    }

    private static List<Item> items(List<String> classes, Map<String, List<Path>> byClass) {
        List<Item> items = new ArrayList<>();
        for (Map.Entry<String, List<Path>> e : byClass.entrySet()) {
            int index = classes.indexOf(e.getKey());
            for (Path p : e.getValue()) {
                items.add(Item.singleLabel(p, index));
            }
        }
        return items;
    }

    /** Visible sub-folders of {@code root} that hold at least one image (at any depth), sorted by name. */
    private static Map<String, List<Path>> classFolders(Path root) {
        Map<String, List<Path>> byClass = new TreeMap<>();
        for (Path child : visibleChildren(root)) {
            if (!Files.isDirectory(child)) {
                continue;
            }
            List<Path> images;
            try (Stream<Path> walk = Files.walk(child)) {
                images = walk.filter(p -> !hiddenBelow(child, p))
                        .filter(p -> Files.isRegularFile(p) && ImageFiles.isImageName(p))
                        .sorted()
                        .collect(Collectors.toList());
            } catch (IOException e) {
                throw new GraftException("Cannot list " + child + ": " + e.getMessage(), e);
            }
            if (!images.isEmpty()) {
                byClass.put(child.getFileName().toString(), images);
            }
        }
        return byClass;
    }

    private static boolean hiddenBelow(Path top, Path p) {
        for (Path part : top.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static List<Path> visibleChildren(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !ImageFiles.isHidden(p)).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new GraftException("Cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    static String firstFew(List<String> names) {
        int shown = Math.min(5, names.size());
        String list = String.join(", ", names.subList(0, shown));
        return names.size() > shown ? list + " (and " + (names.size() - shown) + " more)" : list;
    }
}
