package dev.graft.cli;

import dev.graft.files.InputFiles;
import dev.graft.models.GraftException;

/** Parsing shared by several subcommands. */
final class CliOptions {
    private CliOptions() {
    }

    /** {@code 224} or {@code 224x160} (height x width) into {height, width}. */
    static int[] parseSize(String text) {
        String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            int h = Integer.parseInt(parts[0].trim());
            int w = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : h;
            if (parts.length > 2 || h < 1 || w < 1 || h > 8192 || w > 8192) {
                throw new NumberFormatException();
            }
            return new int[] {h, w};
        } catch (NumberFormatException e) {
            throw new GraftException("--size takes N or HxW with sizes from 1 to 8192, not '" + text + "'");
        }
    }

    /** The help text every {@code --max-image-bytes} shares. */
    static final String MAX_IMAGE_BYTES_HELP = "Largest image file read, e.g. 64MB, 512KB (default: ${DEFAULT-VALUE});"
        + " larger files, and anything but regular files (/dev/zero, FIFOs), are refused before they are read.";

    /** {@code 64MB}, {@code 512KB}, {@code 1GB} or a number of bytes (1 KB = 1024 bytes), for {@code option}. */
    static long parseBytes(String option, String text) {
        try {
            return InputFiles.parseSize(text);
        } catch (IllegalArgumentException e) {
            throw new GraftException(option + " takes " + e.getMessage());
        }
    }
}
