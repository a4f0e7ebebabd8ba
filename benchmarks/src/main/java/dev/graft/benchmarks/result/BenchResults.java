package dev.graft.benchmarks.result;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.graft.files.OutputFile;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A results file: {@code {"format": "graft-bench", "version": 1, "runs": [...]}}.
 *
 * <p>A file always holds a list of runs, so a single benchmark and a merge of many have one format, and merged files
 * merge again. JSON keys are snake_case. Files are written to a temporary sibling and renamed, so a reader never sees
 * half a file.
 *
 * @param format always {@link #FORMAT}
 * @param version the format version, {@link #VERSION}
 * @param runs the runs, in order
 */
public record BenchResults(String format, int version, List<BenchRun> runs) {
    public static final String FORMAT = "graft-bench";
    public static final int VERSION = 1;

    private static final ObjectMapper MAPPER = new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public BenchResults {
        runs = List.copyOf(runs);
    }

    /** A results file of these runs. */
    public static BenchResults of(List<BenchRun> runs) {
        return new BenchResults(FORMAT, VERSION, runs);
    }

    /** The JSON text. */
    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise benchmark results", e);
        }
    }

    /** Writes the file atomically (temporary sibling, then rename). */
    public void write(Path file) {
        writeAtomically(file, toJson());
    }

    /** Writes the file atomically, refusing a {@code file} that is one of {@code inputs}. */
    public void write(Path file, Collection<Path> inputs) {
        writeAtomically(file, toJson(), inputs);
    }

    /** Reads and checks a results file; every problem is one line naming the file. */
    public static BenchResults read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new GraftException(file + " does not exist");
        } catch (IOException e) {
            throw new GraftException("cannot read " + file + ": " + e.getMessage());
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(text);
        } catch (IOException e) {
            throw new GraftException(file + " is not JSON: " + firstLine(e.getMessage()));
        }
        if (tree == null || !FORMAT.equals(tree.path("format").asText())) {
            throw new GraftException(file + " is not a graft bench results file (no \"format\": \"" + FORMAT + "\")");
        }
        if (tree.path("version").asInt() != VERSION) {
            throw new GraftException(file + " has results format version " + tree.path("version").asText()
                + "; this Graft reads version " + VERSION);
        }
        try {
            BenchResults r = MAPPER.treeToValue(tree, BenchResults.class);
            if (r.runs().isEmpty()) {
                throw new GraftException(file + " holds no benchmark runs");
            }
            return r;
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new GraftException(file + " is a damaged graft bench results file: " + firstLine(e.getMessage()));
        }
    }

    /** All runs of several files, in order. */
    public static BenchResults merge(List<BenchResults> files) {
        List<BenchRun> all = new ArrayList<>();
        files.forEach(f -> all.addAll(f.runs()));
        return of(all);
    }

    /**
     * Writes text through {@link OutputFile}: a temporary sibling, then a rename over {@code target}; a device, FIFO,
     * folder, symbolic link or one of {@code inputs} at {@code target} is refused rather than replaced.
     *
     * @throws GraftException with one line if the target is refused or the write fails
     */
    public static void writeAtomically(Path target, String text, Collection<Path> inputs) {
        try {
            OutputFile.of(target, "the benchmark results", inputs).writeString(text);
        } catch (IOException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    /** {@link #writeAtomically(Path, String, Collection)} of a file that no input could be. */
    public static void writeAtomically(Path target, String text) {
        writeAtomically(target, text, List.of());
    }

    /**
     * Checks, before any long work, that {@link #writeAtomically(Path, String, Collection)} could write
     * {@code target} with the same {@code inputs}.
     *
     * @throws GraftException with one line if it could not
     */
    public static void checkTarget(Path target, Collection<Path> inputs) {
        try {
            OutputFile.of(target, "the benchmark results", inputs);
        } catch (IOException e) {
            throw new GraftException(e.getMessage(), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
