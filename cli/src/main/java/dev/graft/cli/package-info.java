/** The {@code graft} command line: one picocli subcommand per task, and the launcher's entry point. */
package dev.graft.cli;
