package dev.graft.benchmarks.result;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelRecord(String name, String file, long bytes, String sha256, String arch, String precision,
                          List<Integer> input, Integer outputsPerImage, String checkpoint) {
    public ModelRecord {
        input = List.copyOf(input);
    }
}
