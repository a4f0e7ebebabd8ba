package dev.graft.cli;

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
}
