package dev.graft.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The end-to-end demo (synthetic data, training, export, prediction, benchmark): not built yet. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the whole pipeline end to end on synthetic data (not built yet).")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("graft demo: not built yet. Today Graft can show a model: "
            + "./graft summary --arch resnet34 --classes 37");
        return 3;
    }
}
