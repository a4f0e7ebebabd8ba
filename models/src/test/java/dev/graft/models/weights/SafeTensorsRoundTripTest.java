package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsRoundTripTest {
    @TempDir
    Path dir;

    private static Tensor random(DType dtype, Random random, long... shape) {
        long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        byte[] bytes = new byte[(int) count * dtype.byteSize()];
        random.nextBytes(bytes);
        return Tensor.of(dtype, shape, ByteBuffer.wrap(bytes));
    }

    /** Every dtype as a matrix and as a scalar, plus empty tensors, in a deliberately unsorted order. */
    private static Map<String, Tensor> everyDtype() {
        Random random = new Random(7);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (DType dtype : DType.values()) {
            tensors.put("z." + dtype + ".matrix", random(dtype, random, 2, 3));
            tensors.put("a." + dtype + ".scalar", random(dtype, random));
        }
        tensors.put("empty.vector", random(DType.F32, random, 0));
        tensors.put("empty.matrix", random(DType.F16, random, 2, 0, 3));
        tensors.put("num_batches_tracked", Tensor.ofLongs(new long[0], new long[] {4}));
        return tensors;
    }

    @Test
    void everyDtypeRoundTripsThroughAFile() {
        Map<String, Tensor> tensors = everyDtype();
        Map<String, String> metadata = Map.of("format", "pt");
        Path file = dir.resolve("all.safetensors");
        SafeTensors.write(file, tensors, metadata);

        try (TensorFile opened = SafeTensors.open(file)) {
            assertThat(opened.path()).isEqualTo(file);
            assertThat(opened.metadata()).isEqualTo(metadata);
            assertThat(opened.names()).containsExactlyElementsOf(tensors.keySet());
            assertThat(opened.size()).isEqualTo(tensors.size());
            assertThat(opened.all()).isEqualTo(tensors);
            assertThat(opened.all()).isInstanceOf(LinkedHashMap.class);
            for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
                Tensor read = opened.get(entry.getKey());
                assertThat(read).isEqualTo(entry.getValue());
                assertThat(read.shape()).containsExactly(entry.getValue().shape());
                if (read.byteSize() > 0) {
                    assertThat(read.data().isDirect()).as("a view onto the mapping").isTrue();
                }
            }
            assertThat(opened.get("a.I64.scalar").shape()).isEmpty();
            assertThat(opened.get("num_batches_tracked").toLongArray()).containsExactly(4L);
            assertThat(opened.get("empty.matrix").elementCount()).isZero();
        }
    }

    @Test
    void everyDtypeRoundTripsThroughBytes() throws IOException {
        Map<String, Tensor> tensors = everyDtype();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "ünïcode ✓");
        byte[] bytes = SafeTensors.toBytes(tensors, metadata);
        Map<String, Tensor> read = SafeTensors.read(bytes);
        assertThat(read).isEqualTo(tensors);
        assertThat(read.keySet()).containsExactlyElementsOf(tensors.keySet());

        Path file = dir.resolve("same.safetensors");
        SafeTensors.write(file, tensors, metadata);
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
        try (TensorFile opened = SafeTensors.open(file)) {
            assertThat(opened.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("note", "ünïcode ✓"));
        }

        Arrays.fill(bytes, (byte) 0);
        assertThat(read).as("read copies the caller's bytes").isEqualTo(tensors);
    }

    @Test
    void writesTheReferenceLayout() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Tensor.ofFloats(new long[] {2}, new float[] {1f, 2f}));
        tensors.put("n", Tensor.ofLongs(new long[0], new long[] {3}));
        tensors.put("b", Tensor.of(DType.U8, new long[] {3}, ByteBuffer.wrap(new byte[] {9, 8, 7})));
        byte[] bytes = SafeTensors.toBytes(tensors, Map.of("format", "pt"));

        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong(0);
        assertThat(headerLength % 8).isZero();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]}}");
        assertThat(header.strip()).endsWith("}");
        assertThat(header.substring(header.lastIndexOf('}') + 1)).matches(" {0,7}");
        JsonNode json = new ObjectMapper().readTree(header);
        assertThat(json.fieldNames()).toIterable().containsExactly("__metadata__", "w", "n", "b");

        int data = 8 + (int) headerLength;
        assertThat(bytes).hasSize(data + 19);
        assertThat(buffer.getFloat(data + 4)).isEqualTo(2f);
        assertThat(buffer.getLong(data + 8)).isEqualTo(3L);
        assertThat(Arrays.copyOfRange(bytes, data + 16, data + 19)).containsExactly(9, 8, 7);
    }

    @Test
    void theSameContentGivesTheSameBytesWhateverTheMetadataMapsOrder() throws IOException {
        Map<String, Tensor> tensors = Map.of("x", Tensor.ofFloats(new long[] {2}, new float[] {1, 2}));
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("format", "graft");
        ab.put("arch", "resnet18");
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("arch", "resnet18");
        ba.put("format", "graft");
        SafeTensors.write(dir.resolve("ab.safetensors"), tensors, ab);
        SafeTensors.write(dir.resolve("ba.safetensors"), tensors, ba);
        assertThat(Files.readAllBytes(dir.resolve("ab.safetensors")))
            .isEqualTo(Files.readAllBytes(dir.resolve("ba.safetensors")));
        assertThat(SafeTensors.toBytes(tensors, ab)).isEqualTo(SafeTensors.toBytes(tensors, ba));
    }

    @Test
    void noMetadataMeansNoMetadataEntry() {
        byte[] bytes = SafeTensors.toBytes(Map.of("x", Tensor.ofFloats(new long[] {1}, new float[] {1})), Map.of());
        assertThat(new String(bytes, StandardCharsets.UTF_8)).doesNotContain("__metadata__");
        Path file = dir.resolve("nometa.safetensors");
        SafeTensors.write(file, Map.of(), Map.of());
        try (TensorFile opened = SafeTensors.open(file)) {
            assertThat(opened.metadata()).isEmpty();
            assertThat(opened.names()).isEmpty();
        }
    }

    @Test
    void namesFollowTheDataNotTheHeaderAndHolesAreTolerated() throws IOException {
        String header = "{\"second\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                + "\"first\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1f).putFloat(16, 2f);
        byte[] bytes = CorruptFiles.file(header, data.array());
        Path file = Files.write(dir.resolve("holes.safetensors"), bytes);
        try (TensorFile opened = SafeTensors.open(file)) {
            assertThat(opened.names()).containsExactly("first", "empty", "second");
            assertThat(opened.get("first").toFloatArray()).containsExactly(1f);
            assertThat(opened.get("second").toFloatArray()).containsExactly(2f);
        }
        assertThat(SafeTensors.read(bytes).keySet()).containsExactly("first", "empty", "second");
    }

    @Test
    void unknownNamesAndClosedFilesAreReported() {
        Path file = dir.resolve("one.safetensors");
        Tensor tensor = Tensor.ofFloats(new long[] {3}, new float[] {1, 2, 3});
        SafeTensors.write(file, Map.of("x", tensor), Map.of());
        TensorFile opened = SafeTensors.open(file);
        assertThat(opened.contains("x")).isTrue();
        assertThatThrownBy(() -> opened.get("y"))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("no tensor 'y'");
        Tensor kept = opened.get("x");
        opened.close();
        assertThatThrownBy(() -> opened.get("x")).isInstanceOf(IllegalStateException.class);
        assertThat(kept).as("tensors taken before close stay readable").isEqualTo(tensor);
        assertThat(opened.metadata()).isEmpty();
    }

    @Test
    void overwritingAnOpenFileKeepsItsTensorsReadable() {
        Path file = dir.resolve("model.safetensors");
        Tensor before = Tensor.ofFloats(new long[] {2}, new float[] {1, 2});
        SafeTensors.write(file, Map.of("x", before), Map.of());
        try (TensorFile opened = SafeTensors.open(file)) {
            Tensor mapped = opened.get("x");
            Tensor after = Tensor.ofFloats(new long[] {2}, new float[] {3, 4});
            SafeTensors.write(file, Map.of("x", after, "y", mapped), Map.of());
            assertThat(mapped).isEqualTo(before);
            try (TensorFile reopened = SafeTensors.open(file)) {
                assertThat(reopened.get("x")).isEqualTo(after);
                assertThat(reopened.get("y")).isEqualTo(before);
            }
        }
    }

    @Test
    void filesBeyond2GiBAreMappedInRegions() throws IOException {
        // a sparse file: three small tensors, one of them straddling the 2 GiB mark, one past 3 GB
        long straddling = (1L << 31) - 8;
        long far = 3_000_000_000L;
        String header = "{\"near\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
                + "\"straddling\":{\"dtype\":\"I32\",\"shape\":[4],\"data_offsets\":[" + straddling + ","
                + (straddling + 16) + "]},"
                + "\"far\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + far + "," + (far + 16) + "]}}";
        Path file = dir.resolve("sparse.safetensors");
        byte[] prefix = CorruptFiles.file(header, new byte[0]);
        long dataStart = prefix.length;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(prefix), 0);
            byte[] near = new byte[16];
            Arrays.fill(near, (byte) 5);
            channel.write(ByteBuffer.wrap(near), dataStart);
            ByteBuffer ints = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(-2).putInt(3).putInt(-4);
            channel.write(ints.flip(), dataStart + straddling);
            ByteBuffer floats = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(0.5f).putFloat(1.5f).putFloat(2.5f).putFloat(3.5f);
            channel.write(floats.flip(), dataStart + far);
        }
        assertThat(Files.size(file)).isGreaterThan(far);
        try (TensorFile opened = SafeTensors.open(file)) {
            assertThat(opened.names()).containsExactly("near", "straddling", "far");
            assertThat(opened.get("near").toLongArray()).containsOnly(5L);
            assertThat(opened.get("straddling").toLongArray()).containsExactly(1, -2, 3, -4);
            assertThat(opened.get("far").toFloatArray()).containsExactly(0.5f, 1.5f, 2.5f, 3.5f);
        }
    }

    @Test
    void tensorsOver2GiBAreRefusedClearly() throws IOException {
        long size = 3_000_000_000L;
        String header = "{\"huge\":{\"dtype\":\"U8\",\"shape\":[" + size + "],\"data_offsets\":[0," + size + "]}}";
        Path file = dir.resolve("huge.safetensors");
        byte[] prefix = CorruptFiles.file(header, new byte[0]);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(prefix), 0);
            channel.write(ByteBuffer.wrap(new byte[1]), prefix.length + size - 1);
        }
        assertThatThrownBy(() -> SafeTensors.open(file))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("'huge'")
                .hasMessageContaining("at most 2 GiB");
    }

    @Test
    void manyTensorsKeepTheirOrder() {
        Random random = new Random(3);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String name = "layer" + random.nextInt(1000) + "." + i;
            names.add(name);
            tensors.put(name, random(DType.values()[i % DType.values().length], random, random.nextInt(5), 3));
        }
        Path file = dir.resolve("many.safetensors");
        SafeTensors.write(file, tensors, Map.of());
        try (TensorFile opened = SafeTensors.open(file)) {
            assertThat(opened.names()).containsExactlyElementsOf(names);
            assertThat(opened.all()).isEqualTo(tensors);
        }
    }
}
