package dev.graft.benchmarks.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adding a layer kind must not compile until every part of Graft that treats kinds differently handles it.
 *
 * <p>Compiles the spec's {@code Layer} with one extra kind, together with every source file that implements
 * {@code Layer.Visitor} (found by scanning the modules' sources, so a new consumer is checked without being listed
 * here), against the built classes. Each of those files must fail with "does not override abstract method", and
 * nothing else may fail. The same files compiled with the unchanged {@code Layer} must compile cleanly, so the
 * failure is the extra kind's doing and not the class path's. Lives in this module because its test class path holds
 * the models, the trainer and the exporter together.
 */
class LayerKindCompileCheckTest {
    private static final String LAYER = "models/src/main/java/dev/graft/models/spec/Layer.java";
    /** The consumers that must stay on the visitor (a rewrite back to instanceof chains fails here). */
    private static final Set<String> REQUIRED = Set.of(
        "models/src/main/java/dev/graft/models/spec/Shapes.java",
        "models/src/main/java/dev/graft/models/spec/Node.java",
        "models/src/main/java/dev/graft/models/summary/NetworkSummary.java",
        "models/src/main/java/dev/graft/models/draw/NetworkDrawing.java",
        "models/src/main/java/dev/graft/models/weights/Initializer.java",
        "trainer/src/main/java/dev/graft/trainer/model/NetworkBlock.java",
        "exporter/src/main/java/dev/graft/exporter/NetworkTranslation.java",
        "exporter/src/test/java/dev/graft/exporter/SpecInterpreter.java");
    private static final String MISSING_METHOD = "compiler.err.does.not.override.abstract";
    /** A class or an anonymous class that implements the visitor, named through Layer. */
    private static final Pattern VISITOR = Pattern.compile("(implements|new)\\s+(dev\\.graft\\.models\\.spec\\.)?Layer\\.Visitor\\s*<");
    /** The same where Visitor is imported or in its own package. */
    private static final Pattern BARE_VISITOR = Pattern.compile("(implements|new)\\s+Visitor\\s*<");
    private static final Pattern VISITOR_IN_SCOPE =
        Pattern.compile("import\\s+dev\\.graft\\.models\\.spec\\.Layer\\.(Visitor|\\*)\\s*;|package\\s+dev\\.graft\\.models\\.spec\\s*;");

    private static Path root;
    private static List<String> consumers;

    @BeforeAll
    static void findSources() throws IOException {
        root = repositoryRoot();
        try (Stream<Path> modules = Files.list(root)) {
            List<Path> roots = modules.filter(Files::isDirectory)
                .flatMap(m -> Stream.of(m.resolve("src/main/java"), m.resolve("src/test/java")))
                .filter(Files::isDirectory).toList();
            List<String> found = new ArrayList<>();
            for (Path r : roots) {
                try (Stream<Path> files = Files.walk(r)) {
                    files.filter(f -> f.toString().endsWith(".java") && !f.endsWith("Layer.java"))
                        .filter(LayerKindCompileCheckTest::implementsVisitor)
                        .forEach(f -> found.add(relative(f)));
                }
            }
            consumers = found.stream().sorted().toList();
        }
    }

    @Test
    void everyRequiredConsumerIsAVisitor() {
        assertThat(consumers).containsAll(REQUIRED);
    }

    @Test
    void theUnchangedSpecCompilesWithEveryConsumer(@TempDir Path tmp) throws IOException {
        Path layer = tmp.resolve("src/dev/graft/models/spec/Layer.java");
        Files.createDirectories(layer.getParent());
        Files.writeString(layer, Files.readString(root.resolve(LAYER)));
        List<Diagnostic<? extends JavaFileObject>> errors = compile(layer, tmp.resolve("out"));
        assertThat(errors).as("compiling the unchanged Layer with its consumers").isEmpty();
    }

    @Test
    void anExtraLayerKindFailsInEveryConsumer(@TempDir Path tmp) throws IOException {
        Path layer = tmp.resolve("src/dev/graft/models/spec/Layer.java");
        Files.createDirectories(layer.getParent());
        Files.writeString(layer, withExtraKind(Files.readString(root.resolve(LAYER))));
        List<Diagnostic<? extends JavaFileObject>> errors = compile(layer, tmp.resolve("out"));

        Map<String, List<String>> byFile = new TreeMap<>();
        for (Diagnostic<? extends JavaFileObject> d : errors) {
            String file = d.getSource() == null ? "(no file)" : relative(Path.of(d.getSource().toUri()));
            byFile.computeIfAbsent(file, k -> new ArrayList<>()).add(d.getCode() + ": " + d.getMessage(null));
        }
        assertThat(errors).as("errors other than a missing visitor method: %s", byFile)
            .allMatch(d -> d.getCode().equals(MISSING_METHOD));
        assertThat(byFile.keySet()).as("files that failed to compile").containsExactlyInAnyOrderElementsOf(consumers);
        assertThat(errors).as("every error names the extra kind")
            .allMatch(d -> d.getMessage(null).contains("ExtraKindForCompileCheck"));
    }

    /** Layer's source with one more record and one more visitor method. */
    static String withExtraKind(String source) {
        Matcher visitor = Pattern.compile("interface\\s+Visitor\\s*<\\s*R\\s*>\\s*\\{").matcher(source);
        assertThat(visitor.find()).as("Layer declares interface Visitor<R>").isTrue();
        int end = source.lastIndexOf('}');
        String record = """

                record ExtraKindForCompileCheck() implements Layer {
                    @Override
                    public String kind() {
                        return "extra_kind_for_compile_check";
                    }

                    @Override
                    public <R> R accept(Visitor<R> visitor) {
                        return visitor.extraKindForCompileCheck(this);
                    }
                }
            """;
        return source.substring(0, visitor.end())
            + "\n        R extraKindForCompileCheck(ExtraKindForCompileCheck layer);\n"
            + source.substring(visitor.end(), end) + record + source.substring(end);
    }

    private static List<Diagnostic<? extends JavaFileObject>> compile(Path layer, Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK compiler (the build runs on a JDK)").isNotNull();
        Files.createDirectories(out);
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<File> sources = new ArrayList<>();
            sources.add(layer.toFile());
            consumers.forEach(c -> sources.add(root.resolve(c).toFile()));
            List<String> options = List.of("--release", "17", "-proc:none", "-implicit:none", "-nowarn",
                "-Xmaxerrs", "1000", "-classpath", classPath(), "-d", out.toString());
            javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjectsFromFiles(sources)).call();
        }
        return diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
            .collect(Collectors.toList());
    }

    /**
     * The test class path (surefire's own property when it runs the tests from a manifest-only jar), plus every
     * module's compiled test classes: a consumer under src/test (the spec's own tests) may use its module's test
     * helpers, which the packaged test-jars leave out. The reactor has compiled them before this module.
     */
    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        StringBuilder all = new StringBuilder(cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path"));
        try (var modules = Files.list(root)) {
            modules.map(m -> m.resolve("target").resolve("test-classes")).filter(Files::isDirectory).sorted()
                .forEach(d -> all.append(File.pathSeparatorChar).append(d));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all.toString();
    }

    private static boolean implementsVisitor(Path file) {
        try {
            String source = Files.readString(file);
            return VISITOR.matcher(source).find()
                || BARE_VISITOR.matcher(source).find() && VISITOR_IN_SCOPE.matcher(source).find();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String relative(Path file) {
        return root.relativize(file.toAbsolutePath().normalize()).toString().replace(File.separatorChar, '/');
    }

    private static Path repositoryRoot() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve(LAYER))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("a folder above %s holding %s", Path.of("").toAbsolutePath(), LAYER).isNotNull();
        return dir.toRealPath();
    }
}
