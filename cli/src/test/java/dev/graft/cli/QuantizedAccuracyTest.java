package dev.graft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.exporter.onnx.GraftMetadata;
import dev.graft.exporter.OnnxExporter;
import dev.graft.exporter.onnx.OnnxFiles;
import dev.graft.exporter.onnx.proto.OnnxProto.ModelProto;
import dev.graft.exporter.quant.ImageFolder;
import dev.graft.exporter.quant.ImagePreprocessor;
import dev.graft.exporter.quant.PrecisionReport;
import dev.graft.exporter.quant.QuantProgress;
import dev.graft.models.arch.VisionModel;
import dev.graft.trainer.data.ImageDataset;
import dev.graft.trainer.data.SyntheticDataset;
import dev.graft.trainer.learner.Checkpointing;
import dev.graft.trainer.learner.Learner;
import dev.graft.trainer.schedule.LearningRates;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resnet18 + head trained on the synthetic set, quantised to int8 with calibration on its training images, keeps its
 * held-out accuracy within 1 point of fp32 and agrees with fp32 on at least 98% of held-out images.
 *
 * <p>The held-out set is a second synthetic set drawn with another seed (240 images, so 1 point is 2.4 images). The
 * figures come from {@link PrecisionReport}, the code behind {@code graft export --eval}, on the two files the command
 * wrote.
 *
 * <p>The training is seeded (dropout included), so on one machine the fp32 model is always the same (93.75% here);
 * trained with other seeds or rates it reached 73-95% on the held-out set, and int8 stayed within 0.42 points of it
 * with at least 98.33% agreement every time. The fp32 floor is therefore "far above chance (33%)", not a figure one
 * recipe happens to reach: a CI machine whose CPU rounds differently once trained a model to 88.75%.
 */
class QuantizedAccuracyTest {
    @TempDir
    Path tmp;

    @Test
    void int8KeepsTheTrainedModelsAccuracy() {
        ImageDataset data = SyntheticDataset.generate(tmp.resolve("data"), 3, 64, 200, false, 7);
        SyntheticDataset.generate(tmp.resolve("heldout"), 3, 64, 100, false, 8);
        Path run = tmp.resolve("run");
        try (Learner learner = Learner.builder(data).setNetwork(VisionModel.builder().setArch("resnet18").setClasses(3)
                .build()).optSize(64).optBatchSize(32).optWorkers(2).optSeed(1)
                .addCallbacks(Checkpointing.open(run, null)).build()) {
            learner.fitOneCycle(12, LearningRates.of(3e-3));
        }
        Path fp32 = tmp.resolve("fp32.onnx");
        Path int8 = tmp.resolve("int8.onnx");
        Path heldout = tmp.resolve("heldout").resolve("train");
        var a = SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--out", fp32.toString());
        assertThat(a.code()).as(a.err()).isZero();
        var b = SummaryCommandTest.graft("export", "--checkpoint", run.toString(), "--quantize", "int8",
            "--calibration", tmp.resolve("data").resolve("train").toString(), "--calibration-count", "240",
            "--eval", heldout.toString(), "--out", int8.toString());
        System.out.println(b.out());
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.out()).contains("accuracy on 240 images of " + heldout);

        PrecisionReport.Accuracy r = heldOutAccuracy(OnnxFiles.read(fp32), OnnxFiles.read(int8), heldout);
        System.out.printf("held-out top-1: fp32 %.2f%%, int8 %.2f%%, agreement %.2f%%%n", 100 * r.fp32Top1(),
            100 * r.lowerTop1(), 100 * r.agreement());
        assertThat(r.fp32Top1()).as("the fp32 model must have learnt the task for the comparison to mean anything")
            .isGreaterThanOrEqualTo(0.8);
        assertThat(Math.abs(r.lowerTop1() - r.fp32Top1())).isLessThanOrEqualTo(0.01);
        assertThat(r.agreement()).isGreaterThanOrEqualTo(0.98);
    }

    /** Top-1 of both models and their agreement on {@code dir/<label>/*}, read with the model's preprocessing. */
    static PrecisionReport.Accuracy heldOutAccuracy(ModelProto fp32, ModelProto int8, Path dir) {
        var meta = OnnxExporter.metadata(fp32);
        List<String> labels = List.of(meta.get(GraftMetadata.LABELS).split(GraftMetadata.LABEL_SEPARATOR));
        return PrecisionReport.measure(fp32, int8, 2, List.of(), ImageFolder.labelled(dir, labels),
            ImagePreprocessor.fromMetadata(meta), dir.toString(), QuantProgress.NONE).accuracy().orElseThrow();
    }
}
