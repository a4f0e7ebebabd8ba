package example;

import dev.graft.edge.EdgeModel;
import dev.graft.edge.EdgeOptions;
import dev.graft.edge.LabelScore;
import dev.graft.edge.Prediction;
import java.nio.file.Path;

/** Predicts one image with a model written by {@code graft export}: arguments MODEL.onnx IMAGE. */
public class PredictOne {
    public static void main(String[] args) {
        try (EdgeModel model = EdgeModel.load(Path.of(args[0]),
                EdgeOptions.builder().optDevice("auto").optIntraOpThreads(0).build())) {
            Prediction p = model.predict(Path.of(args[1]));      // also byte[], BufferedImage, float[] CHW
            for (LabelScore s : p.answer()) {                     // top-k, above-threshold, or values, by task
                System.out.println(s.label() + " " + s.score());
            }
            System.out.println("ran on " + p.device());           // cpu or cuda:N: what actually ran
        }
    }
}
