package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Every tensor {@link WeightFiles} reads from a {@code torch.save} file equals, dtype, shape and every byte, what
 * PyTorch itself holds (see {@link TorchFixtures}).
 */
class WeightFilesTorchOracleTest {

    private static void assertSameAsPyTorch(Path file, String expectedName) throws Exception {
        try (TensorFile read = WeightFiles.open(file);
             TensorFile expected = SafeTensors.open(TorchFixtures.file(expectedName + ".expected.safetensors"))) {
            assertThat(read.names()).containsExactlyElementsOf(expected.names());
            for (String name : expected.names()) {
                Tensor want = expected.get(name);
                Tensor got = read.get(name);
                assertThat(got.dtype()).as(name).isEqualTo(want.dtype());
                assertThat(got.shape()).as(name).isEqualTo(want.shape());
                assertThat(got.data()).as(name).isEqualTo(want.data());
                assertThat(got).as(name).isEqualTo(want);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zip", "legacy", "zip-p4", "legacy-p4"})
    void torchvisionStateDictsReadBitForBit(String layout) throws Exception {
        for (String arch : new String[] {"resnet18", "mobilenet_v3_small"}) {
            Path file = TorchFixtures.file(arch + "." + layout + ".pth");
            assertSameAsPyTorch(file, arch);
            try (TensorFile read = WeightFiles.open(file)) {
                assertThat(read.metadata()).containsEntry("source.format",
                        layout.startsWith("zip") ? "torch-zip" : "torch-legacy")
                    .containsEntry("source.content", "state-dict")
                    .containsEntry("source.pickle.protocol", layout.endsWith("p4") ? "4" : "2");
            }
        }
    }

    @Test
    void dtypesStridedViewsOffsetsAndTiedWeightsReadBitForBit() throws Exception {
        assertSameAsPyTorch(TorchFixtures.file("views.zip.pth"), "views");
        assertSameAsPyTorch(TorchFixtures.file("views.legacy.pth"), "views");
        try (TensorFile read = WeightFiles.open(TorchFixtures.file("views.zip.pth"))) {
            assertThat(read.get("bf16").dtype()).isEqualTo(DType.BF16);
            assertThat(read.get("transposed").shape()).containsExactly(4, 5);
            assertThat(read.get("tied.a")).isEqualTo(read.get("tied.b"));
            // contiguous tensors are views of the mapped file, not copies; strided views are gathered
            assertThat(read.get("f32").data().isDirect()).isTrue();
            assertThat(read.get("offset").data().isDirect()).isTrue();
            assertThat(read.get("transposed").data().isDirect()).isFalse();
        }
    }

    @Test
    void wrappersAndPrefixesAreUnwrapped() throws Exception {
        assertSameAsPyTorch(TorchFixtures.file("resnet18.module.pth"), "resnet18");
        assertSameAsPyTorch(TorchFixtures.file("resnet18.orig_mod.pth"), "resnet18");
        try (TensorFile module = WeightFiles.open(TorchFixtures.file("resnet18.module.pth"));
             TensorFile orig = WeightFiles.open(TorchFixtures.file("resnet18.orig_mod.pth"))) {
            assertThat(module.metadata()).containsEntry("source.wrapper", "state_dict")
                .containsEntry("source.prefix", "module.");
            assertThat(orig.metadata()).containsEntry("source.wrapper", "model_state_dict")
                .containsEntry("source.prefix", "_orig_mod.");
        }
    }

    @Test
    void fastaiLearnSaveWithAndWithoutTheOptimiser() throws Exception {
        assertSameAsPyTorch(TorchFixtures.file("fastai.learn-save.pth"), "fastai");
        assertSameAsPyTorch(TorchFixtures.file("fastai.learn-save-no-opt.pth"), "fastai");
        // fastai's optimiser state names fastcore's L and numpy scalars: tolerated there, as inert placeholders
        assertSameAsPyTorch(TorchFixtures.file("fastai.learn-save-fastai-opt.pth"), "fastai");
        try (TensorFile read = WeightFiles.open(TorchFixtures.file("fastai.learn-save.pth"))) {
            assertThat(read.metadata()).containsEntry("source.wrapper", "model");
        }
    }

    @Test
    void wholePickledModelsGiveTheirStateDicts() throws Exception {
        assertSameAsPyTorch(TorchFixtures.file("resnet18.whole.pth"), "resnet18");
        assertSameAsPyTorch(TorchFixtures.file("resnet18.whole-legacy.pth"), "resnet18");
        assertSameAsPyTorch(TorchFixtures.file("fastai.whole.pth"), "fastai");
        try (TensorFile read = WeightFiles.open(TorchFixtures.file("resnet18.whole.pth"))) {
            assertThat(read.metadata()).containsEntry("source.content", "module")
                .containsEntry("source.class", "torchvision.models.resnet.ResNet");
        }
    }

    /** The fixture pickles stand-ins under fastai's names (fastai is not installed); see make_fixtures.py. */
    @Test
    void anExportPklLikeFileGivesTheModelTheLabelsAndTheNormalisation() throws Exception {
        Path file = TorchFixtures.file("export.pkl");
        assertSameAsPyTorch(file, "export");
        try (TensorFile read = WeightFiles.open(file)) {
            assertThat(read.metadata())
                .containsEntry("source.format", "torch-zip")
                .containsEntry("source.content", "fastai-export")
                .containsEntry("fastai.vocab", "[\"cat\",\"dog\",\"say \\\"hi\\\"\",\"café\"]")
                .containsEntry("fastai.normalize.mean", "[0.485,0.456,0.406]")
                .containsEntry("fastai.normalize.std", "[0.229,0.224,0.225]");
            Network resnet18c4 = VisionModel.builder().setArch("resnet18").setClasses(4).build();
            WeightLoader.Loaded loaded = WeightLoader.load(resnet18c4, read.all(), LoadMode.ALL);
            assertThat(loaded.naming()).isEqualTo(Naming.FASTAI);
        }
    }

    @Test
    void torchScriptIsRefusedSayingWhatToSave() throws Exception {
        Path file = TorchFixtures.file("torchscript.pt");
        assertThatThrownBy(() -> WeightFiles.open(file))
            .isInstanceOf(GraftException.class)
            .hasMessageContaining(file.toString())
            .hasMessageContaining("TorchScript")
            .hasMessageContaining("torch.save(model.state_dict()")
            .message().doesNotContain("\n");
    }

    @Test
    void theStrictLoaderAcceptsWhatIsRead() throws Exception {
        Network resnet18c3 = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        try (TensorFile torchvision = WeightFiles.open(TorchFixtures.file("resnet18.zip.pth"));
             TensorFile fastai = WeightFiles.open(TorchFixtures.file("fastai.learn-save.pth"))) {
            WeightLoader.Loaded body = WeightLoader.load(resnet18c3, torchvision.all(), LoadMode.BODY);
            assertThat(body.naming()).isEqualTo(Naming.GRAFT);
            assertThat(body.ignored()).containsExactly("fc.weight", "fc.bias");
            WeightLoader.Loaded all = WeightLoader.load(resnet18c3, fastai.all(), LoadMode.ALL);
            assertThat(all.naming()).isEqualTo(Naming.FASTAI);
            assertThat(all.tensors().keySet()).containsExactlyInAnyOrderElementsOf(resnet18c3.params().keySet());
            for (Map.Entry<String, Tensor> e : all.tensors().entrySet()) {
                assertThat(e.getValue().dtype()).isEqualTo(DType.F32);
            }
            assertThat(all.tensors().get("head.8.weight")).isEqualTo(fastai.get("1.8.weight"));
        }
    }

    @Test
    void bfloat16IsWidenedBeforeItReachesTheEngine() throws Exception {
        Network resnet18c3 = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        try (TensorFile fastai = WeightFiles.open(TorchFixtures.file("fastai.learn-save.pth"))) {
            Map<String, Tensor> bf16 = new java.util.LinkedHashMap<>();
            fastai.all().forEach((k, v) -> bf16.put(k, v.dtype().isFloatingPoint() ? v.toDType(DType.BF16) : v));
            WeightLoader.Loaded loaded = WeightLoader.load(resnet18c3, bf16, LoadMode.ALL);
            loaded.tensors().values().forEach(t -> assertThat(t.dtype()).isEqualTo(DType.F32));
        }
    }
}
