/**
 * Files named by the user, read and written so that a careless or hostile name costs a one-line refusal, never data.
 *
 * <p>{@link dev.graft.files.OutputFile} writes a complete file or nothing, never replaces a device, FIFO, directory
 * or symbolic link, and never overwrites one of the command's own inputs. Beneath it,
 * {@link dev.graft.files.TemporaryFile} is the locked hidden temporary that is renamed over the target, and the reason
 * a killed writer's leftovers can be told from a live writer's file and cleaned up. {@link dev.graft.files.InputFiles}
 * reads a file whole only when it is a regular file under a byte cap, so {@code /dev/zero} or a FIFO is refused
 * before a byte is read.
 *
 * <p>JDK only, because runtime-edge, which must stay free of other libraries, uses it as much as the tools do. Its
 * exceptions are {@link java.io.IOException}s with one-line messages; each module turns them into its own error type.
 */
package dev.graft.files;
