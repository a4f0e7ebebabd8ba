package dev.graft.models.weights.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Files built to attack the reader: each is refused with one line naming the file, nothing runs, nothing is written.
 * The pickles are written opcode by opcode ({@link PickleBuilder}), so these tests need no Python.
 */
class HostileCheckpointTest {
    @TempDir
    Path dir;

    private Path canary;

    private Path canary() {
        canary = dir.resolve("CANARY");
        return canary;
    }

    @AfterEach
    void nothingWasWritten() throws IOException {
        if (canary != null) {
            assertThat(canary).doesNotExist();
        }
        try (Stream<Path> files = Files.list(dir)) {
            // only the files the test itself wrote: the reader writes nothing
            assertThat(files.filter(f -> !f.getFileName().toString().startsWith("in")).toList()).isEmpty();
        }
    }

    /** A valid one-tensor state dict {'w': [2, 2] floats} around whatever {@code middle} adds to the dict. */
    private static byte[] stateDict(java.util.function.Consumer<PickleBuilder> extra) {
        PickleBuilder p = PickleBuilder.protocol(2).global("collections", "OrderedDict").op(')').op('R').op('(');
        p.str("w").floatTensor("0", 4, 0, new long[] {2, 2}, new long[] {2, 1});
        extra.accept(p);
        return p.op('u').stop();
    }

    private Path zip(byte[] pickle) throws IOException {
        return PickleBuilder.torchZip(dir.resolve("in.pth"), pickle,
                Map.of("archive/data/0", PickleBuilder.floats(1, 2, 3, 4)));
    }

    private static void assertRefused(Path file, String... fragments) {
        var thrown = assertThatThrownBy(() -> TorchCheckpoint.read(file)).isInstanceOf(GraftException.class);
        thrown.hasMessageStartingWith("cannot read " + file + ": ");
        thrown.message().doesNotContain("\n");
        for (String fragment : fragments) {
            thrown.hasMessageContaining(fragment);
        }
    }

    @Test
    void theHandBuiltStateDictItselfIsRead() throws IOException {
        TorchCheckpoint read = TorchCheckpoint.read(zip(stateDict(p -> { })));
        RawTensor w = read.tensors().get("w");
        assertThat(w.type()).isEqualTo(ScalarType.FLOAT);
        assertThat(w.shape()).containsExactly(2, 2);
        byte[] bytes = new byte[16];
        w.data().get(bytes);
        assertThat(bytes).isEqualTo(PickleBuilder.floats(1, 2, 3, 4));
    }

    @ParameterizedTest
    @CsvSource({"os,system", "posix,system", "builtins,eval", "builtins,exec", "subprocess,Popen",
        "subprocess,check_call", "__builtin__,eval", "nt,system"})
    void callsToDangerousFunctionsAreRefusedByName(String module, String name) throws IOException {
        String command = "touch " + canary();
        Path file = zip(stateDict(p -> p.str("x").global(module, name).op('(').str(command).op('t').op('R')));
        assertRefused(file, module + "." + name, "refused, nothing was run");
    }

    @Test
    void aCallThroughStackGlobalIsRefusedToo() throws IOException {
        String command = "touch " + canary();
        Path file = zip(stateDict(p -> p.str("x").str("os").str("system").op(0x93).op('(').str(command).op('t')
                .op('R')));
        assertRefused(file, "os.system");
    }

    @Test
    void anyOtherGlobalInAStateDictIsRefusedByName() throws IOException {
        // called and thrown away, leaving a valid state dict
        Path file = zip(stateDict(p -> p.global("mypackage.payload", "Payload").op(')').op('R').op('0')
                .str("y").floatTensor("0", 4, 0, new long[] {4}, new long[] {1})));
        assertRefused(file, "mypackage.payload.Payload", "never needs", "nothing was run");
        // kept as a value
        Path kept = zip(stateDict(p -> p.str("x").global("mypackage.payload", "Payload").op(')').op('R')));
        assertRefused(kept, "mypackage.payload.Payload", "never needs", "nothing was run");
    }

    @Test
    void aDangerousCallInTheLegacyFormatIsRefused() throws IOException {
        Path file = dir.resolve("in-legacy.pth");
        Files.write(file, concat(legacyHeader(),
                PickleBuilder.protocol(2).global("os", "system").op('(').str("touch " + canary()).op('t').op('R').stop()));
        assertRefused(file, "os.system");
    }

    /** The legacy format's first three pickles: the magic number, the format version, the system information. */
    private static byte[] legacyHeader() {
        byte[] number = TorchCheckpoint.LEGACY_MAGIC.toByteArray();
        ByteBuffer magic = ByteBuffer.allocate(4 + number.length + 1).put((byte) 0x80).put((byte) 2).put((byte) 0x8a)
                .put((byte) number.length);
        for (int i = number.length - 1; i >= 0; i--) {
            magic.put(number[i]);
        }
        magic.put((byte) '.');
        return concat(magic.array(), PickleBuilder.protocol(2).integer(1001).stop(), PickleBuilder.protocol(2).op('}').stop());
    }

    @Test
    void deepNestingIsRefused() throws IOException {
        PickleBuilder marks = PickleBuilder.protocol(2);
        for (int i = 0; i < 100_000; i++) {
            marks.op('(');
        }
        assertRefused(zip(marks.stop()), "nesting deeper than");

        // a list nested 200,000 deep as a state dict value: no walk may recurse into it
        PickleBuilder lists = PickleBuilder.protocol(2).op('}').str("w");
        for (int i = 0; i < 200_000; i++) {
            lists.op(']');
        }
        for (int i = 0; i < 199_999; i++) {
            lists.op('a');
        }
        assertRefused(zip(lists.op('s').stop()), "no state dict");

        // the same list inside a tuple: a tuple's hash must not walk into it
        PickleBuilder tuple = PickleBuilder.protocol(2).op('}').str("w");
        for (int i = 0; i < 200_000; i++) {
            tuple.op(']');
        }
        for (int i = 0; i < 199_999; i++) {
            tuple.op('a');
        }
        assertRefused(zip(tuple.op(0x85).op('s').stop()), "no state dict");
    }

    @Test
    void memoBombsAreRefusedQuickly() throws IOException {
        // billion laughs: each level is a list holding the previous one twice; 2^100 leaves if anything walked it
        PickleBuilder bomb = PickleBuilder.protocol(2).op('}').str("w").op(']').put(0).op('0');
        for (int i = 1; i <= 100; i++) {
            bomb.op(']').get(i - 1).op('a').get(i - 1).op('a').put(i).op('0');
        }
        long start = System.nanoTime();
        assertRefused(zip(bomb.get(100).op('s').stop()), "no state dict");
        assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);

        // the same bomb inside a tuple, a dict key candidate, and a set: nothing may hash it deeply
        PickleBuilder inTuple = PickleBuilder.protocol(2).op('}').str("w").op(']').put(0).op('0');
        for (int i = 1; i <= 100; i++) {
            inTuple.op(']').get(i - 1).op('a').get(i - 1).op('a').put(i).op('0');
        }
        assertRefused(zip(inTuple.get(100).op(0x85).get(100).op(0x85).op(0x86).op('s').stop()), "no state dict");
        PickleBuilder asKey = PickleBuilder.protocol(2).op('}').op(']').put(0).op('0');
        for (int i = 1; i <= 100; i++) {
            asKey.op(']').get(i - 1).op('a').get(i - 1).op('a').put(i).op('0');
        }
        assertRefused(zip(asKey.get(100).op(0x85).op('N').op('s').stop()), "a dict key is a list of 2");
        assertThat(System.nanoTime() - start).isLessThan(10_000_000_000L);

        PickleBuilder memo = PickleBuilder.protocol(2).op('N');
        for (int i = 0; i <= PickleMachine.MAX_MEMO; i++) {
            memo.put(i);
        }
        assertRefused(zip(memo.stop()), "memo grows beyond");
    }

    @Test
    void aStorageClaimingTwoToTheFortyElementsIsRefused() throws IOException {
        PickleBuilder p = PickleBuilder.protocol(2).op('}').str("w")
                .floatTensor("0", 1L << 40, 0, new long[] {4}, new long[] {1}).op('s');
        assertRefused(zip(p.stop()), "storage '0' claims 1099511627776 elements");
    }

    @Test
    void viewsBeyondTheirStorageAreRefused() throws IOException {
        assertRefused(zip(PickleBuilder.protocol(2).op('}').str("w")
                .floatTensor("0", 4, 1, new long[] {4}, new long[] {1}).op('s').stop()), "reaches element 4");
        assertRefused(zip(PickleBuilder.protocol(2).op('}').str("w")
                .floatTensor("0", 4, 0, new long[] {2, 2}, new long[] {3, 1}).op('s').stop()), "reaches element 4");
        assertRefused(zip(PickleBuilder.protocol(2).op('}').str("w")
                .floatTensor("0", 4, -1, new long[] {2}, new long[] {1}).op('s').stop()), "negative storage offset");
        assertRefused(zip(PickleBuilder.protocol(2).op('}').str("w")
                .floatTensor("0", 4, 0, new long[] {1L << 62, 4}, new long[] {0, 0}).op('s').stop()), "overflow");
        assertRefused(zip(PickleBuilder.protocol(2).op('}').str("w")
                .floatTensor("0", 4, 0, new long[] {1L << 28, 4}, new long[] {0, 0}).op('s').stop()), "2 GiB");
    }

    @Test
    void expandedViewsCannotAllocateWithoutBound() throws IOException {
        // 16 bytes of storage viewed as 3 x 100 MB: each view is within bounds, together beyond the copy allowance
        PickleBuilder p = PickleBuilder.protocol(2).op('}').op('(');
        for (int i = 0; i < 3; i++) {
            p.str("w" + i).floatTensor("0", 4, 0, new long[] {25_000_000, 1}, new long[] {0, 1});
        }
        assertRefused(zip(p.op('u').stop()), "bytes of copies");
    }

    @Test
    void zipEntriesWithPathsOutsideTheArchiveAreRefused() throws IOException {
        Path file = PickleBuilder.torchZip(dir.resolve("in.pth"), stateDict(p -> { }),
                Map.of("archive/data/0", PickleBuilder.floats(1, 2, 3, 4), "../x", new byte[] {1}));
        assertRefused(file, "'../x'", "not a plain relative path");
        Path absolute = PickleBuilder.torchZip(dir.resolve("in2.pth"), stateDict(p -> { }),
                Map.of("archive/data/0", PickleBuilder.floats(1, 2, 3, 4), "/etc/x", new byte[] {1}));
        assertRefused(absolute, "'/etc/x'");
    }

    @Test
    void duplicateZipEntriesAreRefused() throws IOException {
        Path file = PickleBuilder.torchZip(dir.resolve("in.pth"), stateDict(p -> { }), new LinkedHashMap<>(Map.of(
                "archive/data/0", PickleBuilder.floats(1, 2, 3, 4), "archive/data/9", PickleBuilder.floats(5, 6, 7, 8))));
        byte[] bytes = Files.readAllBytes(file);
        replaceAll(bytes, "archive/data/9", "archive/data/0");
        Files.write(file, bytes);
        assertRefused(file, "'archive/data/0' appears twice");
    }

    @Test
    void aCorruptPickleIsCaughtByItsCrc() throws IOException {
        Path file = zip(stateDict(p -> { }));
        byte[] bytes = Files.readAllBytes(file);
        replaceAll(bytes, "cpu", "cpv");
        Files.write(file, bytes);
        assertRefused(file, "archive/data.pkl is corrupt (CRC mismatch)");
    }

    @Test
    void duplicateDictKeysAreRefused() throws IOException {
        Path file = zip(stateDict(p -> p.str("w").floatTensor("0", 4, 0, new long[] {4}, new long[] {1})));
        assertRefused(file, "the key 'w' appears twice");
    }

    @Test
    void namesFromTheFileCannotBreakTheMessageIntoLines() throws IOException {
        Path key = zip(stateDict(p -> p.str("evil\nkey").str("not a tensor")));
        assertRefused(key, "'evil?key'");
        Path global = zip(stateDict(p -> p.str("x").str("os\nfake").str("line").op(0x93).op(')').op('R')));
        assertRefused(global, "os?fake.line");
    }

    @Test
    void truncatedFilesAreRefused() throws IOException {
        Path whole = zip(stateDict(p -> { }));
        byte[] bytes = Files.readAllBytes(whole);
        for (int length : new int[] {bytes.length - 1, bytes.length / 2, 30, 5}) {
            Path cut = dir.resolve("in-cut-" + length + ".pth");
            Files.write(cut, Arrays.copyOf(bytes, length));
            assertRefused(cut, "truncated");
        }
        // the pickle itself cut short inside a stored entry
        Path shortPickle = zip(Arrays.copyOf(stateDict(p -> { }), 40));
        assertRefused(shortPickle, "truncated");
    }

    @Test
    void unknownOpcodesAndProtocolsAreRefused() throws IOException {
        assertRefused(zip(PickleBuilder.protocol(2).op('i').stop()), "opcode 0x69");
        assertRefused(zip(PickleBuilder.protocol(6).op('N').stop()), "protocol 6");
        assertRefused(zip(PickleBuilder.protocol(2).op(0x97).stop()), "opcode 0x97"); // NEXT_BUFFER
    }

    @Test
    void aWholeObjectThatIsNotAModuleIsRefusedSayingWhatToSave() throws IOException {
        // a pickled object of some class whose state holds a tensor, but no _parameters/_buffers/_modules
        Path file = zip(PickleBuilder.protocol(2).global("mypackage", "Thing").op(')').op(0x81)
                .op('}').str("w").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}).op('s').op('b').stop());
        assertRefused(file, "mypackage.Thing", "learn.save", "torch.save(model.state_dict()");
    }

    @Test
    void notAWeightFileAtAll() throws IOException {
        Path file = dir.resolve("in.txt");
        Files.writeString(file, "hello world, not a checkpoint");
        assertRefused(file, "neither a safetensors file nor a torch.save checkpoint");
        Path pickle = dir.resolve("in.pkl");
        Files.write(pickle, PickleBuilder.protocol(2).op('N').stop());
        assertRefused(pickle, "not a torch.save checkpoint");
    }

    private static void replaceAll(byte[] bytes, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.US_ASCII);
        byte[] t = to.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + f.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, bytes, i, t.length);
            }
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            out.put(p);
        }
        return out.array();
    }
}
