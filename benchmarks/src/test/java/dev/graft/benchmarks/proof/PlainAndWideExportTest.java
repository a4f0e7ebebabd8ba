package dev.graft.benchmarks.proof;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ResNeXt, Wide ResNet, VGG-BN and AlexNet at full width, with trained-like BatchNorm statistics: the export passes
 * the proof (its derived tolerance) against Graft's own float32/float64 forwards, and, for vgg16_bn and
 * resnext50_32x4d, its logits are at least as close to PyTorch's float64 forward of torchvision's module with fastai's
 * head as PyTorch's own float32 forward is (Debian's python3-torch as the oracle; skipped where missing, a failure
 * when CI=true). Small inputs keep it short on two cores (the graphs are the 224 px graphs): 32 px for VGG, 64 px for
 * the ResNets (at 32 px their layer4 is 1 x 1) and AlexNet (which needs 63).
 */
class PlainAndWideExportTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} at {1} px, torch oracle {2}")
    @CsvSource({
        "vgg16_bn, 32, true",
        "resnext50_32x4d, 64, true",
        "alexnet, 64, false",
        "wide_resnet50_2, 64, false",
    })
    void exportPassesTheProofAndMatchesPyTorch(String arch, int size, boolean oracle) throws Exception {
        TorchvisionExportCheck.run(arch, size, oracle, 2, dir, ops -> {
            assertThat(ops).doesNotContainKeys("BatchNormalization", "Dropout", "Identity");
        });
    }
}
