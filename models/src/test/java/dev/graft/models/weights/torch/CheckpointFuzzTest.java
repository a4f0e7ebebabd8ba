package dev.graft.models.weights.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graft.models.GraftException;
import dev.graft.models.weights.TensorFile;
import dev.graft.models.weights.WeightFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutations of small valid checkpoints (byte flips, extreme integers, truncations, splices): whatever the bytes, reading
 * either succeeds or throws a {@link GraftException} with one line, and each read ends quickly. Seeds are fixed, so a
 * failure names the case that reproduces it.
 */
class CheckpointFuzzTest {
    /** Far above what one read of these few-hundred-byte files takes, even on a loaded machine. */
    private static final long MAX_NANOS_PER_READ = 3_000_000_000L;

    @TempDir
    Path dir;

    private int files;

    @Test
    void mutatedZipFilesOnlyEverFailWithOneLine() throws IOException {
        byte[] zip = Files.readAllBytes(zip(dir.resolve("seed.pth"), statePickle(5)));
        assertThat(read(zip, "zip seed")).isTrue();
        for (int seed = 0; seed < 700; seed++) {
            check(mutate(zip, new Random(seed)), "zip file mutation " + seed);
        }
    }

    @Test
    void mutatedPicklesInsideAValidZipOnlyEverFailWithOneLine() throws IOException {
        // the pickle is mutated before zipping, so its CRC matches and the pickle machine sees every mutation
        for (byte[] pickle : new byte[][] {statePickle(5), modulePickle()}) {
            assertThat(read(Files.readAllBytes(zip(dir.resolve("seed-" + pickle.length + ".pth"), pickle)), "seed"))
                    .isTrue();
            for (int seed = 0; seed < 700; seed++) {
                Path file = zip(dir.resolve("case.pth"), mutate(pickle, new Random(seed)));
                check(Files.readAllBytes(file), "pickle mutation " + seed + " of a " + pickle.length + "-byte pickle");
            }
        }
    }

    @Test
    void mutatedLegacyFilesOnlyEverFailWithOneLine() throws IOException {
        byte[] legacy = legacy();
        assertThat(read(legacy, "legacy seed")).isTrue();
        for (int seed = 0; seed < 1_500; seed++) {
            check(mutate(legacy, new Random(seed)), "legacy mutation " + seed);
        }
    }

    @Test
    void theSeedsReadAsWritten() throws IOException {
        for (Path file : new Path[] {zip(dir.resolve("z.pth"), statePickle(5)), write(legacy())}) {
            try (TensorFile read = WeightFiles.open(file)) {
                assertThat(read.names()).containsExactly("a", "b", "c", "d", "e", "f");
                assertThat(read.get("a").toFloatArray()).containsExactly(0, 1, 2, 3, 4, 5);
                assertThat(read.get("b").shape()).containsExactly(3, 2);
                assertThat(read.get("b").toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5); // the transpose
                assertThat(read.get("c").toLongArray()).containsExactly(-1, Long.MAX_VALUE, 7);
                assertThat(read.get("d").toLongArray()).containsExactly(1, 0);
                assertThat(read.get("e").elementCount()).isZero();
                assertThat(read.get("f").shape()).isEmpty();
                assertThat(read.get("f").toLongArray()).containsExactly(7);
            }
        }
    }

    private void check(byte[] bytes, String what) throws IOException {
        read(bytes, what);
    }

    /** True when the file was read; false when refused with one line; fails the test otherwise. */
    private boolean read(byte[] bytes, String what) throws IOException {
        Path file = write(bytes);
        long start = System.nanoTime();
        try (TensorFile read = WeightFiles.open(file)) {
            for (String name : read.names()) {
                ByteBuffer data = read.get(name).data();
                data.get(new byte[data.remaining()]); // every byte of every tensor is reachable
            }
            return true;
        } catch (GraftException e) {
            assertThat(e.getMessage()).as(what).startsWith("cannot read " + file + ": ").doesNotContain("\n");
            return false;
        } catch (Throwable e) {
            fail(what + " escaped as " + e, e);
            return false;
        } finally {
            long nanos = System.nanoTime() - start;
            assertThat(nanos).as(what + " took " + nanos / 1_000_000 + " ms").isLessThan(MAX_NANOS_PER_READ);
            Files.delete(file);
        }
    }

    private Path write(byte[] bytes) throws IOException {
        return Files.write(dir.resolve("in-" + files++ + ".pth"), bytes);
    }

    // ---- mutations --------------------------------------------------------------------------------------------

    private static final long[] EXTREMES = {0, 1, -1, 0x7f, 0xff, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL,
        1L << 40, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE};

    static byte[] mutate(byte[] seed, Random random) {
        byte[] out = seed.clone();
        int rounds = 1 + random.nextInt(3);
        for (int r = 0; r < rounds && out.length > 0; r++) {
            int at = random.nextInt(out.length);
            switch (random.nextInt(6)) {
                case 0 -> out[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> out[at] = (byte) random.nextInt(256);
                case 2 -> { // an extreme little-endian integer of 1, 2, 4 or 8 bytes
                    int width = 1 << random.nextInt(4);
                    long value = EXTREMES[random.nextInt(EXTREMES.length)];
                    for (int i = 0; i < width && at + i < out.length; i++) {
                        out[at + i] = (byte) (value >>> (8 * i));
                    }
                }
                case 3 -> out = Arrays.copyOf(out, at); // truncation
                case 4 -> { // a chunk copied over another place
                    int from = random.nextInt(out.length);
                    int length = Math.min(1 + random.nextInt(32), Math.min(out.length - from, out.length - at));
                    System.arraycopy(out.clone(), from, out, at, length);
                }
                default -> { // a chunk inserted again (a splice that shifts everything after it)
                    int length = Math.min(1 + random.nextInt(32), out.length - at);
                    byte[] longer = new byte[out.length + length];
                    System.arraycopy(out, 0, longer, 0, at + length);
                    System.arraycopy(out, at, longer, at + length, out.length - at);
                    out = longer;
                }
            }
        }
        return out;
    }

    // ---- seeds ------------------------------------------------------------------------------------------------

    /**
     * A state dict of six tensors over three storages: a contiguous float matrix, its transpose as a strided view of the
     * same storage, int64 values, bools, an empty tensor and a 0-d scalar at an offset. {@code fields} is 5 for the zip
     * format's persistent ids and 6 for the legacy format's (view metadata None).
     */
    static byte[] statePickle(int fields) {
        PickleBuilder p = PickleBuilder.protocol(2).global("collections", "OrderedDict").op(')').op('R').put(0).op('(');
        p.str("a");
        tensor(p, "FloatStorage", "0", 6, fields, 0, new long[] {2, 3}, new long[] {3, 1});
        p.str("b");
        tensor(p, "FloatStorage", "0", 6, fields, 0, new long[] {3, 2}, new long[] {1, 3});
        p.str("c");
        tensor(p, "LongStorage", "1", 3, fields, 0, new long[] {3}, new long[] {1});
        p.str("d");
        tensor(p, "BoolStorage", "2", 2, fields, 0, new long[] {2}, new long[] {1});
        p.str("e");
        tensor(p, "FloatStorage", "0", 6, fields, 6, new long[] {0}, new long[] {1});
        p.str("f");
        tensor(p, "LongStorage", "1", 3, fields, 2, new long[] {}, new long[] {});
        return p.op('u').stop();
    }

    private static void tensor(PickleBuilder p, String type, String key, long numel, int fields, long offset, long[] size,
            long[] stride) {
        p.global("torch._utils", "_rebuild_tensor_v2").op('(');
        p.op('(').str("storage").global("torch", type).str(key).str("cpu").integer(numel);
        if (fields == 6) {
            p.op('N');
        }
        p.op('t').op('Q').integer(offset).longs(size).longs(stride).op(0x89);
        p.global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
    }

    /** A pickled module tree: Outer with a child Inner holding a weight and a bias that share one storage. */
    static byte[] modulePickle() {
        PickleBuilder p = PickleBuilder.protocol(2);
        module(p, "Outer", () -> { }, () -> {
            p.str("inner");
            module(p, "Inner", () -> {
                p.str("weight");
                tensor(p, "FloatStorage", "0", 6, 5, 0, new long[] {2, 3}, new long[] {3, 1});
                p.str("bias");
                tensor(p, "FloatStorage", "0", 6, 5, 3, new long[] {3}, new long[] {1});
            }, () -> { });
        });
        return p.stop();
    }

    private static void module(PickleBuilder p, String cls, Runnable parameters, Runnable modules) {
        p.global("torch.nn.modules.x", cls).op(')').op(0x81).op('}').op('(');
        p.str("_parameters").global("collections", "OrderedDict").op(')').op('R').op('(');
        parameters.run();
        p.op('u').str("_buffers").op('}').str("_modules").global("collections", "OrderedDict").op(')').op('R').op('(');
        modules.run();
        p.op('u').op('u').op('b');
    }

    private static Map<String, byte[]> storages() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("0", PickleBuilder.floats(0, 1, 2, 3, 4, 5));
        out.put("1", ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).putLong(Long.MAX_VALUE)
                .putLong(7).array());
        out.put("2", new byte[] {1, 0});
        return out;
    }

    private static Path zip(Path file, byte[] pickle) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/byteorder", "little".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        storages().forEach((k, v) -> entries.put("archive/data/" + k, v));
        return PickleBuilder.torchZip(file, pickle, entries);
    }

    /** The legacy format: magic, version, system information, the object pickle, the key list, then the storages. */
    static byte[] legacy() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] number = TorchCheckpoint.LEGACY_MAGIC.toByteArray();
        out.write(0x80);
        out.write(2);
        out.write(0x8a);
        out.write(number.length);
        for (int i = number.length - 1; i >= 0; i--) {
            out.write(number[i]);
        }
        out.write('.');
        out.writeBytes(PickleBuilder.protocol(2).integer(1001).stop());
        out.writeBytes(PickleBuilder.protocol(2).op('}').op('(').str("protocol_version").integer(1001)
                .str("little_endian").op(0x88).op('u').stop());
        out.writeBytes(statePickle(6));
        out.writeBytes(PickleBuilder.protocol(2).op(']').op('(').str("0").str("1").str("2").op('e').stop());
        Map<String, Integer> elementSizes = Map.of("0", 4, "1", 8, "2", 1);
        storages().forEach((key, storage) -> {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(storage.length / elementSizes.get(key)).array());
            out.writeBytes(storage);
        });
        return out.toByteArray();
    }
}
