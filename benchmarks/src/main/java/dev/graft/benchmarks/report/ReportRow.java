package dev.graft.benchmarks.report;

import dev.graft.benchmarks.result.BenchRun;
import dev.graft.benchmarks.result.ConfigResult;
import dev.graft.benchmarks.result.ModelRecord;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One configuration of one run, with the label a report shows for it.
 *
 * <p>Labels carry only what tells rows apart: the run's label when results come from several runs, the model name
 * when several models were measured, then engine, precision (when rows differ in it), device, threads, batch and mode.
 *
 * @param run the run the result belongs to
 * @param result the configuration's result
 * @param label the label shown in tables and charts
 * @param series the label without the batch size: the line a throughput-against-batch chart draws it on
 */
public record ReportRow(BenchRun run, ConfigResult result, String label, String series) {

    /** The rows of all runs, labelled. */
    public static List<ReportRow> of(List<BenchRun> runs) {
        Set<String> runLabels = new LinkedHashSet<>();
        Set<String> models = new LinkedHashSet<>();
        Set<String> precisions = new LinkedHashSet<>();
        runs.forEach(r -> {
            runLabels.add(r.label());
            models.add(r.model().name());
            r.results().forEach(c -> precisions.add(precisionOf(r, c)));
        });
        boolean showRun = runLabels.size() > 1;
        boolean showModel = models.size() > 1;
        boolean showPrecision = precisions.size() > 1;
        List<ReportRow> rows = new ArrayList<>();
        for (BenchRun run : runs) {
            for (ConfigResult c : run.results()) {
                String prefix = (showRun ? run.label() + " · " : "") + (showModel ? run.model().name() + " · " : "");
                String engine = c.engine() + (showPrecision ? " " + precisionOf(run, c) : "");
                String e2e = "end-to-end".equals(c.mode()) ? " e2e" : "";
                String label = prefix + engine + " " + c.device() + " t" + c.threads() + " b" + c.batch() + e2e;
                String series = prefix + engine + " " + c.device() + " t" + c.threads() + e2e;
                rows.add(new ReportRow(run, c, label, series));
            }
        }
        return rows;
    }

    private static String precisionOf(BenchRun run, ConfigResult c) {
        return c.precision() != null ? c.precision() : run.model().precisionOrFp32();
    }

    /** The model the row measured (for the DJL engine: the ONNX model its run records, whose checkpoint it ran). */
    public ModelRecord model() {
        return run.model();
    }

    /**
     * The precision that ran: the result's own, or (results written before precision was recorded per
     * configuration) the run's model's, {@code fp32} when neither says.
     */
    public String precision() {
        return precisionOf(run, result);
    }

    public boolean ok() {
        return result.ok();
    }
}
