package dev.graft.benchmarks.result;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * The model a run measured, enough to tell whether two result files measured the same thing.
 *
 * @param name the file name without {@code .onnx}
 * @param file the path given
 * @param bytes file size
 * @param sha256 hex digest of the file
 * @param arch architecture from the model's Graft metadata, if any
 * @param precision numeric precision from the metadata ({@code fp32} when absent)
 * @param input the input shape without the batch dimension: channels, height, width
 * @param outputsPerImage values the model returns per image
 * @param checkpoint the checkpoint folder the DJL engine was rebuilt from, if any
 * @param quantization how an int8 model was quantised and calibrated ({@code graft.quantization}), if recorded
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelRecord(String name, String file, long bytes, String sha256, String arch, String precision,
                          List<Integer> input, Integer outputsPerImage, String checkpoint,
                          String quantization) {
    public ModelRecord {
        input = List.copyOf(input);
    }

    /** The precision, {@code fp32} when the record does not say (a results file from before precision existed). */
    @JsonIgnore
    public String precisionOrFp32() {
        return precision == null ? "fp32" : precision;
    }

    /**
     * Whether two records are one model: the same file digest, or the same name and input shape (one model exported
     * twice, or copied between machines).
     */
    public boolean sameModel(ModelRecord o) {
        return Objects.equals(sha256, o.sha256) || (Objects.equals(name, o.name) && Objects.equals(input, o.input));
    }

    /**
     * Whether two records are one network, possibly in different precisions or exported twice: the same model, or
     * the same architecture ({@code graft.arch}, which must be recorded), input shape and number of outputs per image.
     * That is what makes the latency of an int8 export comparable with its fp32 original.
     */
    public boolean sameNetwork(ModelRecord o) {
        return sameModel(o) || (arch != null && arch.equals(o.arch) && Objects.equals(input, o.input)
            && outputsPerImage != null && outputsPerImage.equals(o.outputsPerImage));
    }
}
