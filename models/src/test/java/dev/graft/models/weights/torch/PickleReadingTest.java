package dev.graft.models.weights.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pickle paths the PyTorch installed here (1.13) does not write but newer versions do, and module-tree rules, built
 * opcode by opcode.
 */
class PickleReadingTest {
    @TempDir
    Path dir;

    private Path zip(byte[] pickle) throws IOException {
        return PickleBuilder.torchZip(dir.resolve("in.pth"), pickle,
                Map.of("archive/data/0", PickleBuilder.floats(1, 2, 3, 4)));
    }

    private static float[] values(RawTensor t) {
        float[] out = new float[t.data().remaining() / 4];
        t.data().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    @Test
    void parametersWithStateAndTensorsOfTypeAreRebuilt() throws IOException {
        // PyTorch 2.x: _rebuild_parameter_with_state(data, requires_grad, hooks, state) for a Parameter with
        // attributes, _rebuild_from_type_v2(func, type, args, state) for a tensor with attributes
        PickleBuilder p = PickleBuilder.protocol(2).op('}').op('(');
        p.str("p").global("torch._utils", "_rebuild_parameter_with_state").op('(')
            .floatTensor("0", 4, 0, new long[] {2}, new long[] {1}).op(0x88).global("collections", "OrderedDict")
            .op(')').op('R').op('}').op('t').op('R');
        p.str("t").global("torch._tensor", "_rebuild_from_type_v2").op('(')
            .global("torch._utils", "_rebuild_tensor_v2").global("torch", "Tensor").op('(')
            .op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(4).op('t').op('Q')
            .integer(2).longs(2).longs(1).op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t')
            .op('}').op('t').op('R');
        TorchCheckpoint read = TorchCheckpoint.read(zip(p.op('u').stop()));
        assertThat(values(read.tensors().get("p"))).containsExactly(1, 2);
        assertThat(values(read.tensors().get("t"))).containsExactly(3, 4);
    }

    @Test
    void aTensorOfAnotherClassIsRefused() throws IOException {
        PickleBuilder p = PickleBuilder.protocol(2).op('}').str("t")
            .global("torch._tensor", "_rebuild_from_type_v2").op('(')
            .global("torch._utils", "_rebuild_tensor_v2").global("mypackage", "MyTensor").op(')').op('}').op('t')
            .op('R').op('s');
        assertThatThrownBy(() -> TorchCheckpoint.read(zip(p.stop()))).isInstanceOf(GraftException.class)
            .hasMessageContaining("mypackage.MyTensor is not supported");
    }

    /** An nn.Module placeholder: NEWOBJ of {@code cls}, BUILD with _parameters / _buffers / _modules. */
    private static PickleBuilder module(PickleBuilder p, String cls, Runnable parameters, Runnable modules) {
        p.global("torch.nn.modules.x", cls).op(')').op(0x81).op('}').op('(');
        p.str("_parameters").global("collections", "OrderedDict").op(')').op('R').op('(');
        parameters.run();
        p.op('u').str("_buffers").op('}').str("_modules").global("collections", "OrderedDict").op(')').op('R').op('(');
        modules.run();
        return p.op('u').op('u').op('b');
    }

    @Test
    void aPickledModuleTreeGivesDottedNames() throws IOException {
        PickleBuilder p = PickleBuilder.protocol(2);
        module(p, "Outer", () -> { }, () -> {
            p.str("0");
            module(p, "Inner", () -> p.str("weight").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}), () -> { });
            p.str("gone").op('N');
        });
        TorchCheckpoint read = TorchCheckpoint.read(zip(p.stop()));
        assertThat(read.tensors().keySet()).containsExactly("0.weight");
        assertThat(read.metadata()).containsEntry("source.content", "module")
            .containsEntry("source.class", "torch.nn.modules.x.Outer");
    }

    @Test
    void aModuleHoldingSomethingElseThanTensorsIsRefused() throws IOException {
        PickleBuilder p = PickleBuilder.protocol(2);
        module(p, "Odd", () -> p.str("weight").global("mypackage", "Weird").op(')').op('R'), () -> { });
        assertThatThrownBy(() -> TorchCheckpoint.read(zip(p.stop()))).isInstanceOf(GraftException.class)
            .hasMessageContaining("instead of a tensor").hasMessageContaining("learn.save");
    }

    @Test
    void modulesNestedTooDeeplyAreRefused() throws IOException {
        PickleBuilder p = PickleBuilder.protocol(2);
        nest(p, 150);
        assertThatThrownBy(() -> TorchCheckpoint.read(zip(p.stop()))).isInstanceOf(GraftException.class)
            .hasMessageContaining("nest deeper than 100");
    }

    private static void nest(PickleBuilder p, int levels) {
        if (levels == 0) {
            module(p, "Leaf", () -> p.str("weight").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}), () -> { });
        } else {
            module(p, "Box", () -> { }, () -> {
                p.str("m");
                nest(p, levels - 1);
            });
        }
    }

    @Test
    void otherValuesReadAsPythonWouldBuildThem() throws IOException {
        // floats, bytes, sets, big ints and None inside the unused half of a wrapper are read, not refused
        PickleBuilder p = PickleBuilder.protocol(4).op('}').op('(');
        p.str("state_dict").op('}').str("w").floatTensor("0", 4, 0, new long[] {4}, new long[] {1}).op('s');
        p.str("extra").op(']').op('(').op('G').ops("?\u00f0\0\0\0\0\0\0").op('C').op(2).ops("ab").op(0x8f).op('(')
            .integer(1).op(0x90).op('(').integer(2).op(0x91).op(0x8a).op(9).ops("\0\0\0\0\0\0\0\0\1").op('N')
            .op(0x8c).op(3).ops("abc").op(0x94).op('e');
        TorchCheckpoint read = TorchCheckpoint.read(zip(p.op('u').stop()));
        assertThat(read.tensors().keySet()).containsExactly("w");
        assertThat(read.metadata()).containsEntry("source.wrapper", "state_dict")
            .containsEntry("source.pickle.protocol", "4");
    }

    @Test
    void aZip64ArchiveIsRead() throws IOException {
        // over 65,535 entries make java.util.zip write the zip64 end records, as PyTorch does for files over 4 GB
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("archive/data/0", PickleBuilder.floats(1, 2, 3, 4));
        for (int i = 0; i < 70_000; i++) {
            entries.put("archive/extra/" + i, new byte[0]);
        }
        Path file = PickleBuilder.torchZip(dir.resolve("in.pth"), PickleBuilder.protocol(2).op('}').str("w")
            .floatTensor("0", 4, 0, new long[] {4}, new long[] {1}).op('s').stop(), entries);
        assertThat(values(TorchCheckpoint.read(file).tensors().get("w"))).containsExactly(1, 2, 3, 4);
    }

    @Test
    void absurdIntegersAreRefused() throws IOException {
        PickleBuilder p = PickleBuilder.protocol(2).op(0x8b).ops("\u00ff\u00ff\u00ff\u007f");
        assertThatThrownBy(() -> TorchCheckpoint.read(zip(p.stop()))).isInstanceOf(GraftException.class)
            .hasMessageContaining("an integer of 2147483647 bytes is absurd");
    }
}
