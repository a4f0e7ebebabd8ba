package dev.graft.benchmarks.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.models.arch.VisionModel;
import dev.graft.models.spec.Network;
import dev.graft.models.weights.Initializer;
import dev.graft.trainer.model.NetworkBlock;

/**
 * A rough speed figure of the network block alone: resnet18 + head at 64 px, batch 32, on the CPU, forward and
 * backward on random tensors (no data loading, no optimiser), then evaluation-mode forward. {@link TrainingThroughput}
 * measures the whole training loop; this isolates the engine.
 *
 * <pre>
 * java -cp cli/target/graft-cli.jar -Dai.djl.offline=true dev.graft.benchmarks.training.NetworkBlockThroughput [steps]
 * </pre>
 */
public final class NetworkBlockThroughput {
    private NetworkBlockThroughput() {
    }

    public static void main(String[] args) {
        Network net = VisionModel.builder().setArch("resnet18").setClasses(3).build();
        NetworkBlock block = new NetworkBlock(net);
        int batchSize = 32;
        int warmup = 2;
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            block.initialize(manager, 64, 64, Initializer.init(net, 3));
            long start = 0;
            long inBackward = 0;
            for (int i = 0; i < warmup + steps; i++) {
                if (i == warmup) {
                    start = System.nanoTime();
                    inBackward = 0;
                }
                try (NDManager batch = manager.newSubManager();
                     GradientCollector gc = batch.getEngine().newGradientCollector()) {
                    NDArray x = batch.randomNormal(new Shape(batchSize, 3, 64, 64));
                    NDArray y = block.forward(new ParameterStore(batch, false), new NDList(x), true).singletonOrThrow();
                    long t = System.nanoTime();
                    gc.backward(y.square().mean());
                    inBackward += System.nanoTime() - t;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("resnet18+head 64px batch %d forward+backward: %.1f images/s (%.0f%% in backward, %d cpus)%n",
                batchSize, steps * batchSize / seconds, 100 * inBackward / 1e9 / seconds,
                Runtime.getRuntime().availableProcessors());
            start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                try (NDManager batch = manager.newSubManager()) {
                    NDArray x = batch.randomNormal(new Shape(batchSize, 3, 64, 64));
                    block.forward(new ParameterStore(batch, false), new NDList(x), false);
                }
            }
            seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("resnet18+head 64px batch %d eval forward: %.1f images/s%n", batchSize,
                steps * batchSize / seconds);
        }
    }
}
