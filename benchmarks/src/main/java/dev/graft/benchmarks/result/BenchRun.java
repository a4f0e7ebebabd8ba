package dev.graft.benchmarks.result;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.benchmarks.system.MachineInfo;
import java.util.List;

/**
 * One model measured by one invocation of {@code graft bench} on one machine: the machine, the model, the settings
 * and a result per configuration. A results file holds one run per model given (several when one invocation compares,
 * say, the fp32 and int8 exports of a network: they share the label and machine, and the DJL results, measured once
 * on the checkpoint, sit in the fp32 model's run); a merged file holds the runs of all its inputs. Keeping one model per
 * run means a reader that knows nothing of precisions still attributes every figure to the right file.
 *
 * @param label names the run in reports (default: the host name)
 * @param created when the run finished, ISO-8601
 * @param graftVersion the Graft version that measured
 * @param machine the machine
 * @param model the model
 * @param settings how it was measured
 * @param notes anything a reader should know (a checkpoint that does not match the model, a busy machine)
 * @param results one per configuration, in the order they ran
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BenchRun(String label, String created, String graftVersion, MachineInfo machine, ModelRecord model,
                       RunSettings settings, List<String> notes, List<ConfigResult> results) {
    public BenchRun {
        notes = notes == null ? List.of() : List.copyOf(notes);
        results = List.copyOf(results);
    }

    /** The same run under another label (merging two runs from one host). */
    public BenchRun withLabel(String newLabel) {
        return new BenchRun(newLabel, created, graftVersion, machine, model, settings, notes, results);
    }
}
