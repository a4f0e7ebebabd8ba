package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.Golden;
import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightLoaderTest {
    private final Network resnet18c3 = VisionModel.builder().setArch("resnet18").setClasses(3).build();

    @Test
    void fastaiStateDictLoadsIntoResnet18WithTheDefaultHead() {
        try (TensorFile file = SafeTensors.open(Golden.file("resnet18_c3_64.fastai.safetensors"))) {
            WeightLoader.Loaded loaded = WeightLoader.load(resnet18c3, file.all(), LoadMode.ALL);
            assertThat(loaded.naming()).isEqualTo(Naming.FASTAI);
            assertThat(loaded.tensors().keySet()).containsExactlyInAnyOrderElementsOf(resnet18c3.params().keySet());
            assertThat(loaded.ignored()).isEmpty();
            // the loaded tensors are the file's bytes
            WeightNames names = new WeightNames(resnet18c3);
            for (Map.Entry<String, Tensor> e : loaded.tensors().entrySet()) {
                assertThat(e.getValue()).isEqualTo(file.get(names.toFastai(e.getKey())));
            }
            assertThat(loaded.tensors().get("layer1.0.conv1.weight")).isEqualTo(file.get("0.4.0.conv1.weight"));
            assertThat(loaded.tensors().get("head.8.weight")).isEqualTo(file.get("1.8.weight"));
        }
    }

    @Test
    void torchvisionBodyLoadsIntoTheBody() {
        try (TensorFile body = SafeTensors.open(Golden.file("resnet18_c3_64.torchvision-body.safetensors"));
             TensorFile fastai = SafeTensors.open(Golden.file("resnet18_c3_64.fastai.safetensors"))) {
            WeightLoader.Loaded loaded = WeightLoader.load(resnet18c3, body.all(), LoadMode.BODY);
            assertThat(loaded.naming()).isEqualTo(Naming.GRAFT);
            assertThat(loaded.tensors()).hasSize(20 + 20 * 4);
            for (Map.Entry<String, Tensor> e : loaded.tensors().entrySet()) {
                assertThat(e.getValue()).isEqualTo(body.get(e.getKey()));
            }
            // the same body as the fastai file's part 0
            assertThat(loaded.tensors().get("layer3.1.bn2.running_var")).isEqualTo(fastai.get("0.6.1.bn2.running_var"));
            // a body file is not a whole model
            assertThatThrownBy(() -> WeightLoader.load(resnet18c3, body.all(), LoadMode.ALL))
                .isInstanceOf(GraftException.class)
                .hasMessageContaining("10 missing (head.2.weight, head.2.bias, head.2.running_mean");
        }
    }

    @Test
    void aFullTorchvisionFileLoadsAsABodyIgnoringFc() {
        Network tv = VisionModel.torchvision("resnet18", 1000);
        Map<String, Tensor> full = Initializer.init(tv, 1);
        WeightLoader.Loaded loaded = WeightLoader.load(resnet18c3, full, LoadMode.BODY);
        assertThat(loaded.ignored()).containsExactly("fc.weight", "fc.bias");
    }

    @Test
    void strictErrorsListEveryProblemOnOneLine() {
        Map<String, Tensor> w = new LinkedHashMap<>(Initializer.init(resnet18c3, 7));
        w.remove("layer2.0.bn1.running_mean");
        w.put("extra.weight", Tensor.ofFloats(new long[] {1}, new float[] {1}));
        w.put("head.8.weight", Tensor.ofFloats(new long[] {4, 512}, new float[4 * 512]));
        assertThatThrownBy(() -> WeightLoader.load(resnet18c3, w, LoadMode.ALL))
            .isInstanceOf(GraftException.class)
            .hasMessage("weights (graft names) do not fit resnet18 + head: 1 missing (layer2.0.bn1.running_mean); "
                + "1 unexpected (extra.weight); 1 of the wrong shape (head.8.weight (file [4, 512], network [3, 512]))")
            .message().doesNotContain("\n");
    }

    @Test
    void anotherArchitecturesBodyIsRefused() {
        Map<String, Tensor> r34 = Initializer.init(VisionModel.torchvision("resnet34", 1000), 3);
        assertThatThrownBy(() -> WeightLoader.load(resnet18c3, r34, LoadMode.BODY))
            .isInstanceOf(GraftException.class).hasMessageContaining("unexpected (layer1.2.conv1.weight");
        Map<String, Tensor> r50 = Initializer.init(VisionModel.torchvision("resnet50", 1000), 3);
        assertThatThrownBy(() -> WeightLoader.load(resnet18c3, r50, LoadMode.BODY))
            .isInstanceOf(GraftException.class).hasMessageContaining("of the wrong shape (layer1.0.conv1.weight (file [64, 64, 1, 1]");
    }

    @Test
    void numBatchesTrackedIsToleratedAndHalfPrecisionBecomesF32() {
        Map<String, Tensor> w = new LinkedHashMap<>();
        Initializer.init(resnet18c3, 5).forEach((k, v) -> w.put(k, v.toDType(DType.BF16)));
        w.put("bn1.num_batches_tracked", Tensor.of(DType.I64, new long[0],
            java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, 12)));
        WeightLoader.Loaded loaded = WeightLoader.load(resnet18c3, w, LoadMode.ALL);
        assertThat(loaded.tensors().values()).allMatch(t -> t.dtype() == DType.F32);
        assertThat(loaded.tensors()).doesNotContainKey("bn1.num_batches_tracked");
    }

    @Test
    void firstConvIsAdaptedForOtherChannelCounts() {
        try (TensorFile body = SafeTensors.open(Golden.file("resnet18_c3_64.torchvision-body.safetensors"))) {
            float[] w3 = body.get("conv1.weight").toFloatArray();
            int k = 49;
            for (int nIn : new int[] {1, 2, 4}) {
                Network net = VisionModel.builder().setArch("resnet18").setClasses(3).optInputChannels(nIn).build();
                WeightLoader.Loaded loaded = WeightLoader.load(net, body.all(), LoadMode.BODY);
                assertThat(loaded.firstConvAdapted()).isTrue();
                Tensor w = loaded.tensors().get("conv1.weight");
                assertThat(w.shape()).containsExactly(64, nIn, 7, 7);
                float[] v = w.toFloatArray();
                int o = 5;
                int i = 17;
                float r = w3[(o * 3) * k + i];
                float g = w3[(o * 3 + 1) * k + i];
                float b = w3[(o * 3 + 2) * k + i];
                switch (nIn) {
                    case 1 -> assertThat(v[o * k + i]).isEqualTo(r + g + b);
                    case 2 -> assertThat(new float[] {v[(o * 2) * k + i], v[(o * 2 + 1) * k + i]})
                        .containsExactly(r * 1.5f, g * 1.5f);
                    default -> assertThat(new float[] {v[(o * 4) * k + i], v[(o * 4 + 1) * k + i], v[(o * 4 + 2) * k + i],
                        v[(o * 4 + 3) * k + i]}).containsExactly(r, g, b, 0f);
                }
            }
        }
    }

    @Test
    void namesMapBothWays() {
        WeightNames names = new WeightNames(resnet18c3);
        assertThat(names.toGraft("0.4.0.bn1.running_mean", Naming.FASTAI)).contains("layer1.0.bn1.running_mean");
        assertThat(names.toGraft("0.0.weight", Naming.FASTAI)).contains("conv1.weight");
        assertThat(names.toGraft("1.4.weight", Naming.FASTAI)).contains("head.4.weight");
        assertThat(names.toGraft("0.9.weight", Naming.FASTAI)).isEmpty();
        for (String p : resnet18c3.params().keySet()) {
            assertThat(names.toGraft(names.toFastai(p), Naming.FASTAI)).contains(p);
        }
        assertThat(WeightNames.detect(java.util.List.of("0.0.weight", "1.8.weight"))).isEqualTo(Naming.FASTAI);
        assertThat(WeightNames.detect(java.util.List.of("0.0.weight", "conv1.weight"))).isEqualTo(Naming.GRAFT);
    }
}
