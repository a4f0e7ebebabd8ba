package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a file can lie: each must give one GraftException naming the file and the problem. */
class SafeTensorsCorruptionTest {
    @TempDir
    Path dir;

    private static String entry(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    /** Writes {@code bytes} to a file, then checks that open() and read() both refuse it with {@code problem}. */
    private void assertRefused(String fileName, byte[] bytes, String... problem) throws IOException {
        Path file = Files.write(dir.resolve(fileName), bytes);
        assertThatThrownBy(() -> SafeTensors.open(file))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("cannot read " + file + ": ")
                .hasMessageContainingAll(problem)
                .hasNoSuppressedExceptions()
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> SafeTensors.read(bytes))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("cannot read in-memory safetensors data: ")
                .hasMessageContainingAll(problem);
    }

    private void assertRefused(String fileName, String header, int dataBytes, String... problem) throws IOException {
        assertRefused(fileName, CorruptFiles.file(header, new byte[dataBytes]), problem);
    }

    @Test
    void shorterThanTheLengthPrefix() throws IOException {
        assertRefused("empty.safetensors", new byte[0], "only 0 bytes long", "too short");
        assertRefused("five.safetensors", new byte[5], "only 5 bytes long", "too short");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        assertRefused("huge.safetensors", CorruptFiles.withLength(200_000_000L, "{}".getBytes(StandardCharsets.UTF_8),
                new byte[0]), "header length 200000000 is absurd");
        assertRefused("negative.safetensors", CorruptFiles.withLength(-1L, new byte[0], new byte[0]),
                "header length 18446744073709551615 is absurd");
        // an ASCII text file read as a length gives an absurd number too
        assertRefused("text.safetensors", "hello, world, this is not weights".getBytes(StandardCharsets.US_ASCII),
                "is absurd");
    }

    @Test
    void headerBeyondTheFile() throws IOException {
        assertRefused("short.safetensors", CorruptFiles.withLength(100, "{\"a\":".getBytes(StandardCharsets.UTF_8),
                new byte[0]), "header length 100 runs beyond the end of the file", "truncated");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'};
        assertRefused("latin.safetensors", CorruptFiles.file(header, new byte[0]), "header is not valid UTF-8");
    }

    @Test
    void headerNotAJsonObject() throws IOException {
        assertRefused("broken.safetensors", "{\"a\": {\"dtype\"", 0, "header is not valid JSON");
        assertRefused("trailing.safetensors", "{} {}", 0, "header is not valid JSON");
        assertRefused("duplicate.safetensors", "{" + entry("a", "F32", "[]", "[0,4]") + ","
                + entry("a", "F32", "[]", "[4,8]") + "}", 8, "header is not valid JSON", "Duplicate field 'a'");
        assertRefused("array.safetensors", "[1, 2]", 0, "header is not a JSON object");
        assertRefused("blank.safetensors", "        ", 0, "header is not a JSON object");
        assertRefused("nolength.safetensors", "", 0, "header is not a JSON object");
        assertRefused("entry.safetensors", "{\"a\": 3}", 0, "tensor 'a' is not described by a JSON object");
        assertRefused("metadata.safetensors", "{\"__metadata__\": {\"epoch\": 3}}", 0,
                "__metadata__ entry 'epoch' is not a string");
        assertRefused("metadata2.safetensors", "{\"__metadata__\": [\"x\"]}", 0, "__metadata__ is not a JSON object");
    }

    @Test
    void missingFields() throws IOException {
        assertRefused("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                "tensor 'w' has no dtype");
        assertRefused("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
                "tensor 'w' has no shape");
        assertRefused("nooffsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                "tensor 'w' has no data_offsets");
    }

    @Test
    void unknownDtype() throws IOException {
        assertRefused("f8.safetensors", "{" + entry("w", "F8_E4M3", "[4]", "[0,4]") + "}", 4,
                "tensor 'w' has unknown dtype 'F8_E4M3'");
        assertRefused("lower.safetensors", "{" + entry("w", "f32", "[1]", "[0,4]") + "}", 4, "unknown dtype 'f32'");
        assertRefused("numeric.safetensors", "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                "tensor 'w' has dtype 4, which is not a string");
    }

    @Test
    void badShapes() throws IOException {
        assertRefused("negative.safetensors", "{" + entry("w", "F32", "[2,-1]", "[0,0]") + "}", 0,
                "tensor 'w' has a negative dimension in shape [2, -1]");
        assertRefused("float.safetensors", "{" + entry("w", "F32", "[1.5]", "[0,4]") + "}", 4,
                "tensor 'w' has shape [1.5], which is not a list of integers");
        assertRefused("string.safetensors", "{" + entry("w", "F32", "\"[1]\"", "[0,4]") + "}", 4,
                "which is not a list of integers");
        assertRefused("overflow.safetensors", "{" + entry("w", "F32", "[4294967296,4294967296]", "[0,4]") + "}", 4,
                "too many elements");
    }

    @Test
    void badOffsets() throws IOException {
        assertRefused("one.safetensors", "{" + entry("w", "F32", "[1]", "[4]") + "}", 4,
                "tensor 'w' has data_offsets [4], which is not [begin, end]");
        assertRefused("three.safetensors", "{" + entry("w", "F32", "[1]", "[0,4,8]") + "}", 8, "not [begin, end]");
        assertRefused("text.safetensors", "{" + entry("w", "F32", "[1]", "[0,\"4\"]") + "}", 4, "not [begin, end]");
        assertRefused("object.safetensors", "{" + entry("w", "F32", "[1]", "{\"begin\":0}") + "}", 4,
                "not [begin, end]");
        assertRefused("backwards.safetensors", "{" + entry("w", "F32", "[1]", "[8,4]") + "}", 8,
                "tensor 'w' has data_offsets [8, 4]", "begin <= end");
        assertRefused("negative.safetensors", "{" + entry("w", "F32", "[1]", "[-4,0]") + "}", 4,
                "data_offsets [-4, 0]");
        assertRefused("bignum.safetensors", "{" + entry("w", "F32", "[1]", "[0,99999999999999999999]") + "}", 4,
                "not [begin, end]");
    }

    @Test
    void truncatedData() throws IOException {
        String header = "{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2,2]", "[8,24]") + "}";
        byte[] whole = CorruptFiles.file(header, new byte[24]);
        SafeTensors.read(whole); // complete, it is fine
        assertRefused("truncated.safetensors", Arrays.copyOf(whole, whole.length - 5),
                "truncated", "tensor 'b' ends at byte 24 of the data section", "only 19 data bytes");
        assertRefused("nodata.safetensors", CorruptFiles.file(header, new byte[0]), "truncated");
    }

    @Test
    void byteCountDisagreesWithShape() throws IOException {
        assertRefused("size.safetensors", "{" + entry("w", "F32", "[2,3]", "[0,20]") + "}", 20,
                "tensor 'w' is F32 [2, 3], which takes 24 bytes, but its data_offsets [0, 20] span 20 bytes");
        assertRefused("scalar.safetensors", "{" + entry("n", "I64", "[]", "[0,4]") + "}", 8,
                "tensor 'n' is I64 [], which takes 8 bytes");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertRefused("overlap.safetensors", "{" + entry("a", "F32", "[4]", "[0,16]") + ","
                + entry("b", "F32", "[2]", "[12,20]") + "}", 20, "tensors 'a' [0, 16] and 'b' [12, 20] overlap");
        assertRefused("same.safetensors", "{" + entry("a", "F32", "[1]", "[0,4]") + ","
                + entry("b", "I32", "[1]", "[0,4]") + "}", 4, "overlap");
        // the second tensor lies inside the first, a third after both: still an overlap
        assertRefused("inside.safetensors", "{" + entry("a", "U8", "[16]", "[0,16]") + ","
                + entry("b", "U8", "[2]", "[4,6]") + "," + entry("c", "U8", "[2]", "[8,10]") + "}", 16, "overlap");
        assertRefused("emptyinside.safetensors", "{" + entry("a", "U8", "[16]", "[0,16]") + ","
                + entry("e", "U8", "[0]", "[8,8]") + "}", 16, "overlap");
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("missing.safetensors");
        assertThatThrownBy(() -> SafeTensors.open(missing))
                .isInstanceOf(GraftException.class)
                .hasMessage("cannot read " + missing + ": no such file");
        assertThatThrownBy(() -> SafeTensors.open(dir))
                .isInstanceOf(GraftException.class)
                .hasMessageStartingWith("cannot read " + dir + ": ");
    }
}
