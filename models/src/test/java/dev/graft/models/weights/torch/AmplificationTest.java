package dev.graft.models.weights.torch;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small files whose pickles make the reader do far more than their size suggests: a few bytes that copy a large shared
 * value, join long names, or walk a shared module many times over. Each is refused in one line, quickly.
 */
class AmplificationTest {
    private static final Duration QUICKLY = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private Path zip(byte[] pickle) throws IOException {
        return PickleBuilder.torchZip(dir.resolve("in.pth"), pickle,
                Map.of("archive/data/0", PickleBuilder.floats(1, 2, 3, 4)));
    }

    private static void assertRefused(Path file, String... fragments) {
        assertTimeoutPreemptively(QUICKLY, () -> {
            var thrown = assertThatThrownBy(() -> TorchCheckpoint.read(file)).isInstanceOf(GraftException.class);
            thrown.message().doesNotContain("\n");
            for (String fragment : fragments) {
                thrown.hasMessageContaining(fragment);
            }
        });
    }

    @Test
    void aLongNameSharedByManyGlobalsIsRefused() throws IOException {
        // one 4 MB string named as module and name by 2,000 three-byte STACK_GLOBALs: 16 GB of joined names
        PickleBuilder p = PickleBuilder.protocol(4).str("m".repeat(4 << 20)).put(0).op('0').op('(');
        for (int i = 0; i < 2_000; i++) {
            p.op('h').op(0).op('h').op(0).op(0x93);
        }
        assertRefused(zip(p.op('l').stop()), "a global named with");
    }

    @Test
    void copiesOfOneLargeListAreBounded() throws IOException {
        // a list of 200,000 items, then set(list) 20,000 times at six bytes each: 4 billion copied items
        PickleBuilder p = PickleBuilder.protocol(2).op('(');
        for (int i = 0; i < 200_000; i++) {
            p.op('N');
        }
        p.op('l').put(0).op('0').global("builtins", "set").put(1).op('0').op('(');
        for (int i = 0; i < 20_000; i++) {
            p.op('h').op(1).op('h').op(0).op(0x85).op('R');
        }
        assertRefused(zip(p.op('l').stop()), "copies");
    }

    @Test
    void copiesOfOneLargeStateAreBounded() throws IOException {
        // BUILD copies a state dict into its object: one dict of 100,000 items given to 20,000 objects
        PickleBuilder p = PickleBuilder.protocol(2).op('}').op('(');
        for (int i = 0; i < 100_000; i++) {
            p.integer(i).op('N');
        }
        p.op('u').put(0).op('0').global("mypackage", "Thing").put(1).op('0').op('(');
        for (int i = 0; i < 20_000; i++) {
            p.op('h').op(1).op(')').op(0x81).op('h').op(0).op('b');
        }
        assertRefused(zip(p.op('l').stop()), "copies");
    }

    @Test
    void aModuleSharedAlongALongChainIsNotWalkedExponentially() throws IOException {
        // each level's two children are the same module: 2^60 paths to the leaf
        PickleBuilder p = PickleBuilder.protocol(2);
        module(p, "Leaf", () -> p.str("weight").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}), () -> { });
        p.put(0).op('0');
        for (int level = 1; level <= 60; level++) {
            int below = level - 1;
            module(p, "Pair", () -> { }, () -> p.str("a").get(below).str("b").get(below));
            p.put(level).op('0');
        }
        assertRefused(zip(p.get(60).stop()), "more than");
    }

    @Test
    void aModuleWithoutParametersSharedAlongALongChainIsRefusedToo() throws IOException {
        PickleBuilder p = PickleBuilder.protocol(2);
        module(p, "Empty", () -> { }, () -> { });
        p.put(0).op('0');
        for (int level = 1; level <= 60; level++) {
            int below = level - 1;
            module(p, "Pair", () -> { }, () -> p.str("a").get(below).str("b").get(below));
            p.put(level).op('0');
        }
        assertRefused(zip(p.get(60).stop()), "more than");
    }

    @Test
    void longNamesAlongADeepModuleChainAreRefused() throws IOException {
        // one 1 MB child name used at each of 90 levels: names of 90 MB, and their prefixes, if they were joined
        PickleBuilder p = PickleBuilder.protocol(2).str("n".repeat(1 << 20)).put(100).op('0');
        module(p, "Leaf", () -> p.str("weight").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}), () -> { });
        p.put(0).op('0');
        for (int level = 1; level <= 90; level++) {
            int below = level - 1;
            module(p, "Box", () -> { }, () -> p.get(100).get(below));
            p.put(level).op('0');
        }
        assertRefused(zip(p.get(90).stop()), "name of more than");
    }

    @Test
    void aLongStateDictKeyMadeOfPrefixesIsRefusedQuickly() throws IOException {
        // stripping 'module.' one at a time from a 1.4 MB key would take quadratic time
        PickleBuilder p = PickleBuilder.protocol(2).op('}').str("module.".repeat(200_000) + "w")
                .floatTensor("0", 4, 0, new long[] {4}, new long[] {1}).op('s');
        assertRefused(zip(p.stop()), "name of more than");
    }

    @Test
    void twoPathsGivingOneNameInAModuleTreeAreRefused() throws IOException {
        // a parameter named 'a.b' and a child 'a' with a parameter 'b': PyTorch never writes it, and one would hide
        PickleBuilder p = PickleBuilder.protocol(2);
        module(p, "Odd", () -> p.str("a.b").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}), () -> {
            p.str("a");
            module(p, "Leaf", () -> p.str("b").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}), () -> { });
        });
        assertRefused(zip(p.stop()), "'a.b' appears twice");
    }

    @Test
    void aHugeVocabIsRefused() throws IOException {
        // an export.pkl-like Learner whose CategoryMap lists one 1 MB label 100,000 times: 100 GB of JSON
        PickleBuilder p = PickleBuilder.protocol(2).global("fastai.learner", "Learner").op(')').op(0x81).op('}').op('(');
        p.str("model");
        module(p, "Leaf", () -> p.str("weight").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}), () -> { });
        p.str("dls").global("fastai.data.transforms", "CategoryMap").op(')').op(0x81).op('}').str("items")
                .op(']').str("x".repeat(1 << 20)).put(0).op('a');
        for (int i = 0; i < 100_000; i++) {
            p.op('h').op(0).op('a');
        }
        p.op('s').op('b').op('u').op('b');
        assertRefused(zip(p.stop()), "labels");
    }

    @Test
    void dictKeysBuiltToCollideDoNotMakeReadingQuadratic() throws IOException {
        // 65,536 distinct keys that share one String.hashCode ("Aa" and "BB" collide), as 1-tuples and as globals:
        // neither a tuple nor a global is comparable, so a HashMap would compare each new key with all before it
        PickleBuilder tuples = PickleBuilder.protocol(2).op('}').op('(');
        PickleBuilder globals = PickleBuilder.protocol(2).op('}').op('(');
        for (int i = 0; i < 1 << 16; i++) {
            StringBuilder s = new StringBuilder();
            for (int bit = 0; bit < 16; bit++) {
                s.append((i >> bit & 1) == 0 ? "Aa" : "BB");
            }
            tuples.str(s.toString()).op(0x85).op('N');
            globals.global("m", s.toString()).op('N');
        }
        assertRefused(zip(tuples.op('u').stop()), "no state dict");
        assertRefused(zip(globals.op('u').stop()), "never needs");
    }

    @Test
    void aLongStringSharedByManyTupleKeysIsRefused() throws IOException {
        // 2,000 distinct 2-tuple keys around one 4 MB string: hashing each would read 8 GB
        PickleBuilder p = PickleBuilder.protocol(2).str("k".repeat(4 << 20)).put(0).op('0').op('}').op('(');
        for (int i = 0; i < 2_000; i++) {
            p.op('h').op(0).integer(i).op(0x86).op('N');
        }
        assertRefused(zip(p.op('u').stop()), "a tuple holding a string of 4194304 characters");
    }

    @Test
    void aLegacyFileWithAnOddVersionIsDescribedNotPrinted() throws IOException {
        // the version pickle is a list holding itself two ways, 40 levels deep: printing it would never end
        PickleBuilder version = PickleBuilder.protocol(2).op(']').put(0).op('0');
        for (int i = 1; i <= 40; i++) {
            version.op(']').get(i - 1).op('a').get(i - 1).op('a').put(i).op('0');
        }
        byte[] legacy = CheckpointFuzzTest.legacy();
        byte[] magicOnly = java.util.Arrays.copyOf(legacy, magicLength(legacy)); // the magic number pickle comes first
        Path path = dir.resolve("in-legacy.pth");
        java.nio.file.Files.write(path, concat(magicOnly, version.get(40).stop()));
        assertRefused(path, "version is a list of 2");
    }

    private static int magicLength(byte[] legacy) {
        for (int i = 0; i < legacy.length; i++) {
            if (legacy[i] == '.') {
                return i + 1;
            }
        }
        throw new AssertionError();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** An nn.Module placeholder: NEWOBJ of {@code cls}, BUILD with _parameters / _buffers / _modules. */
    private static void module(PickleBuilder p, String cls, Runnable parameters, Runnable modules) {
        p.global("torch.nn.modules.x", cls).op(')').op(0x81).op('}').op('(');
        p.str("_parameters").global("collections", "OrderedDict").op(')').op('R').op('(');
        parameters.run();
        p.op('u').str("_buffers").op('}').str("_modules").global("collections", "OrderedDict").op(')').op('R').op('(');
        modules.run();
        p.op('u').op('u').op('b');
    }
}
