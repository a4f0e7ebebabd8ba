package dev.graft.trainer.data;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** The one place that decides which files count as images, so folder and CSV datasets agree. */
final class ImageFiles {
    static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");
    static final String EXTENSION_LIST = ".jpg, .jpeg, .png, .bmp, .gif";

    private ImageFiles() {
    }

    static boolean isHidden(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    static boolean hasImageExtension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    static boolean isImageName(Path p) {
        Path name = p.getFileName();
        return name != null && !isHidden(p) && hasImageExtension(name.toString());
    }
}
