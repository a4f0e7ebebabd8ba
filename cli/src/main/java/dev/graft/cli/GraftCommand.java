package dev.graft.cli;

import dev.graft.models.GraftException;
import dev.graft.models.GraftVersion;
import dev.graft.trainer.model.EngineLog;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code graft} command: every subcommand, and the one place where errors become a single line and an exit code.
 *
 * <p>A {@link GraftException} (a problem the user can fix) prints as {@code graft: <message>} with exit code 1; a bad
 * option prints picocli's message and the usage hint with exit code 2; anything else prints one line too, and its
 * stack trace only with {@code --verbose}.
 */
@Command(
    name = "graft",
    mixinStandardHelpOptions = true,
    versionProvider = GraftCommand.Version.class,
    description = "Graft: fastai-style image classifiers from training to the edge, in Java.",
    subcommands = {
        SummaryCommand.class,
        DataCommand.class,
        TrainCommand.class,
        LrFindCommand.class,
        ExportCommand.class,
        ConvertCommand.class,
        PredictCommand.class,
        InterpretCommand.class,
        ServeCommand.class,
        BenchCommand.class,
        DrawCommand.class,
        DemoCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class GraftCommand implements Runnable {

    @Option(names = "--verbose", description = "Show stack traces of errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (for tests and the launcher). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        GraftCommand root = new GraftCommand();
        CommandLine cli = new CommandLine(root);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose") || root.verbose;
            Throwable shown = ex;
            while (!(shown instanceof GraftException) && shown.getCause() != null && shown.getCause() != shown) {
                if (shown.getCause() instanceof GraftException) {
                    shown = shown.getCause();
                    break;
                }
                shown = shown.getCause();
            }
            if (shown instanceof GraftException) {
                err.println("graft: " + shown.getMessage());
            } else {
                err.println("graft: internal error: " + ex + (verbose ? "" : " (run with --verbose for details)"));
            }
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        cli.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            err.println("graft: " + ex.getMessage());
            err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
            err.flush();
            return 2;
        });
        cli.setExecutionStrategy(parseResult -> {
            if (usesPyTorch(parseResult)) {
                EngineLog.apply();
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        int code = cli.execute(args);
        out.flush();
        return code;
    }

    /**
     * Whether the command runs the PyTorch engine: those get PyTorch's log threshold set first ({@link EngineLog}), so
     * that the engine's known-harmless warnings stay out of the terminal. Others never load the engine.
     */
    static boolean usesPyTorch(CommandLine.ParseResult parseResult) {
        if (!parseResult.hasSubcommand() || parseResult.subcommand().isUsageHelpRequested()
                || parseResult.subcommand().isVersionHelpRequested()) {
            return false;
        }
        CommandLine.ParseResult sub = parseResult.subcommand();
        switch (sub.commandSpec().name()) {
            case "train", "lr-find", "export", "demo":
                return true;
            case "bench":
                return !sub.hasSubcommand() && (sub.hasMatchedOption("--checkpoint")
                        || String.valueOf(sub.matchedOptionValue("--engine", java.util.List.of())).contains("djl"));
            default:
                return false;
        }
    }

    /** Reports the version stamped into the models module at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"graft " + GraftVersion.get()};
        }
    }
}
