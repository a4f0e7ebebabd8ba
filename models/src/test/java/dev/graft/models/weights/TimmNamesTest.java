package dev.graft.models.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.models.GraftException;
import dev.graft.models.arch.ConvNeXt;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.spec.Param;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** timm's ConvNeXt names: the table both ways, detection, reshapes and refusals (no PyTorch needed). */
class TimmNamesTest {
    private final Network narrow = VisionModel.builder().setArch(ConvNeXt.tiny().narrowed(16, 2)).setClasses(3).build();

    @ParameterizedTest
    @ValueSource(strings = {"convnext_tiny", "convnext_small"})
    void everyTorchvisionNameHasOneTimmNameAndBack(String arch) {
        Map<String, Param> params = VisionModel.torchvisionParams(arch, 1000);
        java.util.Set<String> timm = new java.util.HashSet<>();
        for (String name : params.keySet()) {
            String t = TimmNames.toTimm(name).orElseThrow(() -> new AssertionError("no timm name for " + name));
            assertThat(timm.add(t)).as(t).isTrue();
            assertThat(TimmNames.toTorchvision(t)).as(t).contains(name);
        }
    }

    @Test
    void theTableSaysWhatTimmsModuleTreeSays() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("stem.0.weight", "features.0.0.weight");
        expected.put("stem.1.bias", "features.0.1.bias");
        expected.put("stages.0.blocks.0.conv_dw.weight", "features.1.0.block.0.weight");
        expected.put("stages.0.blocks.2.norm.weight", "features.1.2.block.2.weight");
        expected.put("stages.1.downsample.0.weight", "features.2.0.weight");
        expected.put("stages.1.downsample.1.bias", "features.2.1.bias");
        expected.put("stages.2.blocks.8.mlp.fc1.weight", "features.5.8.block.3.weight");
        expected.put("stages.2.blocks.26.mlp.fc2.bias", "features.5.26.block.5.bias");
        expected.put("stages.3.downsample.1.weight", "features.6.1.weight");
        expected.put("stages.3.blocks.2.gamma", "features.7.2.layer_scale");
        expected.put("head.norm.weight", "classifier.0.weight");
        expected.put("head.fc.bias", "classifier.2.bias");
        expected.forEach((timm, tv) -> {
            assertThat(TimmNames.toTorchvision(timm)).as(timm).contains(tv);
            assertThat(TimmNames.toTimm(tv)).as(tv).contains(timm);
        });
        // what torchvision's ConvNeXt has no module for, and what is not a PyTorch module path
        for (String none : List.of("stages.0.downsample.0.weight", "norm_pre.weight", "stages.0.blocks.0.mlp.grn.weight",
            "stages.0.blocks.0.gamma.weight", "stages.01.blocks.0.norm.weight", "stages.-1.blocks.0.norm.weight",
            "stem.0.weight.", "stem.0", "head.fc.running_mean", "features.1.0.block.0.weight")) {
            assertThat(TimmNames.toTorchvision(none)).as(none).isEmpty();
        }
        assertThat(TimmNames.toTimm("features.0.0.weight")).contains("stem.0.weight");
        assertThat(TimmNames.toTimm("features.1.0.block.1.weight")).isEmpty();
    }

    @Test
    void namingIsDetectedFromTheKeys() {
        assertThat(WeightNames.detect(List.of("stem.0.weight", "stages.0.blocks.0.gamma"))).isEqualTo(Naming.TIMM);
        assertThat(WeightNames.detect(List.of("stem.0.weight", "features.0.0.weight"))).isEqualTo(Naming.TIMM);
        assertThat(WeightNames.detect(List.of("0.model.stem.0.weight", "1.2.weight"))).isEqualTo(Naming.FASTAI_TIMM);
        assertThat(WeightNames.detect(List.of("0.model.stem.0.weight"))).isEqualTo(Naming.FASTAI_TIMM);
        assertThat(WeightNames.detect(List.of("0.0.0.weight", "1.2.weight"))).isEqualTo(Naming.FASTAI);
        assertThat(WeightNames.detect(List.of("features.0.0.weight", "classifier.2.bias"))).isEqualTo(Naming.GRAFT);
        WeightNames names = new WeightNames(narrow);
        assertThat(names.toGraft("0.model.stages.1.downsample.1.weight", Naming.FASTAI_TIMM)).contains("features.2.1.weight");
        assertThat(names.toGraft("1.8.weight", Naming.FASTAI_TIMM)).contains("head.8.weight");
        assertThat(names.toGraft("0.0.weight", Naming.FASTAI_TIMM)).isEmpty();
        for (String p : narrow.params().keySet()) {
            for (Naming n : List.of(Naming.TIMM, Naming.FASTAI_TIMM)) {
                if (n == Naming.FASTAI_TIMM || !p.startsWith("head.")) {
                    assertThat(names.toGraft(names.toFile(p, n), n)).as(p).contains(p);
                }
            }
        }
    }

    /** The narrowed network's body under timm's names, gamma as [C], every tensor holding distinct values. */
    private Map<String, Tensor> timmBody(boolean convMlp) {
        Map<String, Tensor> file = new LinkedHashMap<>();
        float next = 0;
        for (var n : narrow.bodyNodes()) {
            for (Param p : n.layer().params()) {
                String name = n.paramName(p);
                long[] shape = p.shapeArray();
                if (name.endsWith("layer_scale")) {
                    shape = new long[] {shape[0]};
                } else if (convMlp && shape.length == 2) {
                    shape = new long[] {shape[0], shape[1], 1, 1};
                }
                float[] values = new float[(int) p.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = next++;
                }
                file.put(TimmNames.toTimm(name).orElseThrow(), Tensor.ofFloats(shape, values));
            }
        }
        return file;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aTimmBodyLoadsWithGammaAndConvMlpReshaped(boolean convMlp) {
        Map<String, Tensor> file = timmBody(convMlp);
        WeightLoader.Loaded loaded = WeightLoader.load(narrow, file, LoadMode.BODY);
        assertThat(loaded.naming()).isEqualTo(Naming.TIMM);
        assertThat(loaded.tensors()).hasSize(file.size());
        for (var e : loaded.tensors().entrySet()) {
            Tensor original = file.get(TimmNames.toTimm(e.getKey()).orElseThrow());
            assertThat(e.getValue().shape()).as(e.getKey()).isEqualTo(narrow.params().get(e.getKey()).shapeArray());
            assertThat(e.getValue().toFloatArray()).as(e.getKey()).isEqualTo(original.toFloatArray());
        }
        assertThat(loaded.tensors().get("features.1.0.layer_scale").shape()).containsExactly(6, 1, 1);
    }

    @Test
    void aTimmFileForAnotherNetworkIsRefusedInOneLine() {
        Map<String, Tensor> file = timmBody(false);
        Network resnet = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        assertThatThrownBy(() -> WeightLoader.load(resnet, file, LoadMode.BODY)).isInstanceOf(GraftException.class)
            .hasMessageStartingWith("weights have timm's names (stem.0.weight, ...), which Graft maps only for ConvNeXt,"
                + " not resnet18").message().doesNotContain("\n");

        Network wider = VisionModel.builder().setArch(ConvNeXt.tiny().narrowed(8, 2)).setClasses(3).build();
        assertThatThrownBy(() -> WeightLoader.load(wider, file, LoadMode.BODY)).isInstanceOf(GraftException.class)
            .hasMessageStartingWith("weights (timm names) do not fit convnext_tiny_narrow8 body:")
            .hasMessageContaining("of the wrong shape (stem.0.weight (file [6, 3, 4, 4], network [12, 3, 4, 4])")
            .message().doesNotContain("\n");

        Network deeper = VisionModel.builder().setArch(ConvNeXt.tiny().narrowed(16, 3)).setClasses(3).build();
        assertThatThrownBy(() -> WeightLoader.load(deeper, file, LoadMode.BODY)).isInstanceOf(GraftException.class)
            .hasMessageContaining("36 missing (stages.0.blocks.2.conv_dw.weight, stages.0.blocks.2.conv_dw.bias");

        Map<String, Tensor> headNormFirst = new LinkedHashMap<>(file);
        headNormFirst.put("norm_pre.weight", Tensor.ofFloats(new long[] {48}, new float[48]));
        headNormFirst.put("stages.0.blocks.0.mlp.grn.weight", Tensor.ofFloats(new long[] {24}, new float[24]));
        assertThatThrownBy(() -> WeightLoader.load(narrow, headNormFirst, LoadMode.BODY))
            .isInstanceOf(GraftException.class)
            .hasMessageContaining("2 unexpected (norm_pre.weight, stages.0.blocks.0.mlp.grn.weight)");

        Map<String, Tensor> badGamma = new LinkedHashMap<>(file);
        badGamma.put("stages.0.blocks.0.gamma", Tensor.ofFloats(new long[] {1, 6}, new float[6]));
        assertThatThrownBy(() -> WeightLoader.load(narrow, badGamma, LoadMode.BODY))
            .hasMessageContaining("stages.0.blocks.0.gamma (file [1, 6], network [6, 1, 1])");
    }
}
