package dev.graft.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real files, links, FIFOs and device nodes; a real second process for the lock that marks a live writer. */
class OutputFileTest {
    @TempDir
    Path dir;

    @Test
    void writesANewFileAndReplacesAnOldOneLeavingNoTemporary() throws IOException {
        Path out = dir.resolve("model.onnx");
        OutputFile.of(out, "the model").writeString("first");
        assertThat(Files.readString(out)).isEqualTo("first");
        OutputFile.of(out, "the model").writeStream(o -> o.write("second".getBytes(StandardCharsets.UTF_8)));
        assertThat(Files.readString(out)).isEqualTo("second");
        assertThat(names()).containsExactly("model.onnx");
    }

    @Test
    void refusesACharacterDeviceAndLeavesIt() throws Exception {
        Path node = dir.resolve("null-device");
        boolean made = run("mknod", node.toString(), "c", "1", "3") == 0;
        assumeTrue(made, "mknod failed (not root, or no device nodes allowed here): device-node case not run");
        assertRefused(node, "it is a character device, not a regular file");
        assertThat(OutputFile.kind(node)).isEqualTo("a character device");
        assertThat(Files.isRegularFile(node, LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void refusesAFifoWithoutOpeningItAndLeavesIt() throws Exception {
        Path fifo = dir.resolve("pipe.onnx");
        assumeTrue(run("mkfifo", fifo.toString()) == 0, "mkfifo is missing: FIFO case not run");
        // a check that opened the FIFO would block here for want of a reader
        assertRefused(fifo, "it is a FIFO (named pipe), not a regular file");
        assertThat(OutputFile.kind(fifo)).isEqualTo("a FIFO (named pipe)");
    }

    @Test
    void refusesAFolder() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("out.onnx"));
        assertRefused(folder, "it is a directory");
        assertThat(Files.isDirectory(folder)).isTrue();
    }

    @Test
    void refusesASymbolicLinkNeitherReplacingItNorWritingThrough() throws IOException {
        Path real = Files.writeString(dir.resolve("v3.onnx"), "trained");
        Path link = Files.createSymbolicLink(dir.resolve("latest.onnx"), real.getFileName());
        assertRefused(link, "it is a symbolic link (to v3.onnx)");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("trained");

        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.onnx"), dir.resolve("nowhere.onnx"));
        assertRefused(dangling, "it is a symbolic link");
        assertThat(Files.exists(dir.resolve("nowhere.onnx"))).isFalse();
    }

    @Test
    void refusesTheInputItselfByIdentityNotByText() throws IOException {
        Path weights = Files.writeString(dir.resolve("weights.safetensors"), "trained weights");
        Path hardLink = Files.createLink(dir.resolve("copy.safetensors"), weights);
        Path symlink = Files.createSymbolicLink(dir.resolve("alias.safetensors"), weights);
        Path otherSpelling = dir.resolve(".").resolve("weights.safetensors");

        assertRefused(weights, weights, "it is the same file as the input " + weights);
        assertRefused(hardLink, weights, "it is the same file as the input " + weights);
        assertRefused(otherSpelling, weights, "it is the same file as the input");
        // the input given through a link, the real file as the target
        assertRefused(weights, symlink, "it is the same file as the input " + symlink);
        assertThat(Files.readString(weights)).isEqualTo("trained weights");

        Path unrelated = Files.writeString(dir.resolve("other.onnx"), "old");
        OutputFile.of(unrelated, "the model", weights, null, dir.resolve("missing")).writeString("new");
        assertThat(Files.readString(unrelated)).isEqualTo("new");
    }

    @Test
    void refusesAReadOnlyFile() throws IOException {
        assumeTrue(!"root".equals(System.getProperty("user.name")), "root may write anything: read-only case not run");
        Path kept = Files.writeString(dir.resolve("kept.onnx"), "keep me");
        assertThat(kept.toFile().setWritable(false)).isTrue();
        assertRefused(kept, "it is read-only");
    }

    @Test
    void refusesAMissingFolder() {
        assertRefused(dir.resolve("no/such/model.onnx"), "directory " + dir.resolve("no/such") + " does not exist");
    }

    @Test
    void aFailingWriterLeavesTheTargetAndNoTemporary() throws IOException {
        Path out = Files.writeString(dir.resolve("model.onnx"), "good old model");
        OutputFile file = OutputFile.of(out, "the model");
        assertThatThrownBy(() -> file.writeStream(o -> {
            o.write(new byte[100_000]);
            throw new IOException("No space left on device");
        })).isInstanceOf(IOException.class)
                .hasMessage("cannot write the model to " + out + ": No space left on device");
        assertThatThrownBy(() -> file.writeStream(o -> {
            throw new IllegalStateException("bug");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(out)).isEqualTo("good old model");
        assertThat(names()).containsExactly("model.onnx");
    }

    @Test
    void aTargetTurnedIntoALinkAfterTheCheckIsStillNotReplaced() throws IOException {
        Path out = dir.resolve("model.onnx");
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        OutputFile file = OutputFile.of(out, "the model");
        Files.createSymbolicLink(out, victim);
        assertThatThrownBy(() -> file.writeString("x")).isInstanceOf(FileRefusedException.class)
                .hasMessageContaining("symbolic link");
        assertThat(Files.isSymbolicLink(out)).isTrue();
        assertThat(Files.readString(victim)).isEqualTo("precious");
        assertThat(names()).containsExactlyInAnyOrder("model.onnx", "victim");
    }

    @Test
    void removesStaleTemporariesOfAKilledWriterButNotFreshOrHeldOnes() throws Exception {
        Path out = dir.resolve("model.onnx");
        Path stale = old(Files.writeString(dir.resolve(".model.onnx.1f2e3d4c5b6a7980.tmp"), "half"));
        Path fresh = Files.writeString(dir.resolve(".model.onnx.abc.tmp"), "being created right now");
        Path held = old(Files.writeString(dir.resolve(".model.onnx.def.tmp"), "a live writer's"));
        Path someoneElses = old(Files.writeString(dir.resolve(".model.onnx.tmp"), "not our pattern"));
        Path otherTarget = old(Files.writeString(dir.resolve(".other.onnx.123.tmp"), "another target's"));
        Process holder = holdLock(held);
        try {
            OutputFile.of(out, "the model").writeString("complete");
            assertThat(stale).doesNotExist();
            assertThat(fresh).exists();
            assertThat(held).exists();
            assertThat(someoneElses).exists();
            assertThat(otherTarget).exists();
            assertThat(Files.readString(out)).isEqualTo("complete");
        } finally {
            holder.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
        // the holder was killed (SIGKILL): the kernel dropped its lock, so its temporary is now a leftover
        assertThat(OutputFile.removeStaleTemporaries(out)).isEqualTo(1);
        assertThat(held).doesNotExist();
        assertThat(fresh).exists();
    }

    @Test
    void concurrentWritersEachLeaveACompleteFile() throws Exception {
        Path out = dir.resolve("report.html");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writes = Stream.of("a", "b", "c", "d").<Future<?>>map(s -> pool.submit(() -> {
                OutputFile.of(out, "the report").writeString(s.repeat(200_000));
                return null;
            })).toList();
            for (Future<?> f : writes) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        String text = Files.readString(out);
        assertThat(text).hasSize(200_000);
        assertThat(text.chars().distinct().count()).isEqualTo(1);
        assertThat(names()).containsExactly("report.html");
    }

    @Test
    void aPathThroughALinkedDirectoryIsWrittenWhereTheKernelResolvesIt() throws IOException {
        Path inner = Files.createDirectories(dir.resolve("real/inner"));
        Files.createSymbolicLink(dir.resolve("l"), inner);
        OutputFile.of(dir.resolve("l/../out.onnx"), "the model").writeString("here");
        assertThat(Files.readString(dir.resolve("real/out.onnx"))).isEqualTo("here");
        assertThat(dir.resolve("out.onnx")).doesNotExist();
    }

    @Test
    void recognisesItsOwnTemporaryNamesOnly() {
        assertThat(OutputFile.isTemporaryOf(".m.onnx.0123456789abcdef.tmp", "m.onnx")).isTrue();
        assertThat(OutputFile.isTemporaryOf(".m.onnx.7.tmp", "m.onnx")).isTrue();
        assertThat(OutputFile.isTemporaryOf(".m.onnx.0123456789abcdef0.tmp", "m.onnx")).isFalse();
        assertThat(OutputFile.isTemporaryOf(".m.onnx.ABC.tmp", "m.onnx")).isFalse();
        assertThat(OutputFile.isTemporaryOf(".m.onnx.tmp", "m.onnx")).isFalse();
        assertThat(OutputFile.isTemporaryOf(".m.onnx.xyz.tmp", "m.onnx")).isFalse();
        assertThat(OutputFile.isTemporaryOf("m.onnx.abc.tmp", "m.onnx")).isFalse();
        assertThat(OutputFile.isTemporaryOf(".n.onnx.abc.tmp", "m.onnx")).isFalse();
    }

    private void assertRefused(Path target, String expected) {
        assertRefused(target, null, expected);
    }

    private void assertRefused(Path target, Path input, String expected) {
        assertThatThrownBy(() -> OutputFile.of(target, "the model", input).writeString("new"))
                .isInstanceOf(FileRefusedException.class)
                .hasMessageStartingWith("cannot write the model to " + target + ": ")
                .hasMessageContaining(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Path old(Path p) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(OutputFile.STALE_AFTER).minusSeconds(60)));
        return p;
    }

    private static Process holdLock(Path file) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                file.toString()).redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertThat(line).as("the lock holder's first line").isEqualTo("locked");
        return p;
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
